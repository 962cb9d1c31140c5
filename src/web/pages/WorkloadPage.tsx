import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { workloadState } from '../../contract/states.js';
import type { WorkloadInspect } from '../../contract/workloads.js';
import { State } from '../components/State.js';
import { age, bytes, cpu } from '../format.js';
import { useLoad, type PageProps } from '../page.js';
import { href } from '../router.js';

const LOG_LINES = 500;

/** The last lines of a workload's output, following live (the stream ends when the page closes). */
function Logs({ client, id }: PageProps & { id: string }) {
  const [lines, setLines] = useState<Array<{ stream: string; line: string }>>([]);
  const [state, setState] = useState('following');
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const controller = new AbortController();
    setLines([]);
    void (async () => {
      try {
        for await (const line of client.workloads.logs(id, { follow: true, tail: 100, signal: controller.signal })) {
          setLines((current) => [...current.slice(-(LOG_LINES - 1)), line]);
        }
        setState('ended');
      } catch (error) {
        if (!controller.signal.aborted) setState(`stopped: ${(error as Error).message}`);
      }
    })();
    return () => controller.abort();
  }, [client, id]);
  useEffect(() => {
    const el = box.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <section>
      <h2>
        Logs <span class="muted">({state})</span>
      </h2>
      <pre class="logs" ref={box} data-logs>
        {lines.map((l, i) => (
          <span class={l.stream} key={i}>
            {l.line}
            {'\n'}
          </span>
        ))}
      </pre>
    </section>
  );
}

function Field({ name, children }: { name: string; children: ComponentChildren }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

export function WorkloadPage({ client, live, id }: PageProps & { id: string }) {
  const inspect = useLoad<WorkloadInspect>(() => client.workloads.inspect(id), [client, id], { live, stale: (e) => e.workload === id });
  if (inspect.error) return <p class="error">{inspect.error}</p>;
  if (!inspect.data) return <p class="muted">Loading {id}…</p>;
  const { workload: w, status, container } = inspect.data;
  const state = workloadState(status, w.healthcheck !== undefined);
  return (
    <section class="workload" data-workload={w.id}>
      <h1>
        {w.id} <State state={state} />
      </h1>
      <dl class="facts">
        <Field name="app / entry">
          <a href={href('apps', w.app)}>{w.app}</a> / {w.entry}
        </Field>
        <Field name="pod / node">
          <a href={href('pods', w.pod)}>{w.pod}</a> / {w.node}
        </Field>
        <Field name="image">{w.image}</Field>
        <Field name="command">{w.command.join(' ') || '(image default)'}</Field>
        <Field name="CPU">
          {cpu(w.cpu)} {w.bind ? `on cpuset ${w.cpuSettings.cpusetCpus}` : '(unbound, shared pool)'} · shares {w.cpuSettings.cpuShares} · quota {w.cpuSettings.cpuQuota > 0 ? `${w.cpuSettings.cpuQuota} µs per 100 ms` : 'none'}
        </Field>
        <Field name="pieces">{Object.entries(w.placement.cpuset ?? {}).map(([core, pieces]) => `core ${core}: ${pieces}`).join(', ') || '–'}</Field>
        <Field name="memory">{w.placement.memory ? bytes(w.placement.memory) : 'no limit'}</Field>
        <Field name="addresses">{w.addresses.map((a) => `${a.address} on ${a.network}`).join(', ') || '–'}</Field>
        <Field name="ports">{w.publish.join(', ') || '–'}</Field>
        <Field name="created">
          {w.createdAt} ({age(w.createdAt)} ago)
        </Field>
        <Field name="agent says">{status ? `${status.running ? 'running' : `not running${status.exitCode !== undefined ? `, exit ${status.exitCode}` : ''}`}${status.reason ? ` — ${status.reason}` : ''}${status.qos ? ` · shaping ${status.qos}` : ''}` : 'nothing yet'}</Field>
        <Field name="container">{container ? `${container.status}${container.startedAt ? `, started ${container.startedAt}` : ''}` : 'gone'}</Field>
        <Field name="env">{Object.keys(w.env).sort().join(', ') || '–'}</Field>
      </dl>
      <Logs client={client} live={live} id={w.id} />
    </section>
  );
}
