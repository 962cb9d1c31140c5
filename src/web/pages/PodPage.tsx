import { useEffect, useRef, useState } from 'preact/hooks';
import type { PodMap, MapWorkload } from '../../contract/map.js';
import { workloadState, type WorkloadState } from '../../contract/states.js';
import { NodeCard } from '../components/NodeCard.js';
import { bytes, cpu } from '../format.js';
import { markPainted } from '../live.js';
import { useLoad, type PageProps } from '../page.js';
import { href } from '../router.js';

/** Nodes drawn at first and added per step as the page scrolls: a pod of 1,000 nodes stays quick. */
const PAGE = 12;
const EMPTY: ReadonlyMap<string, MapWorkload> = new Map();

type ByNode = Map<string, ReadonlyMap<string, MapWorkload>>;

/** A state an event gave a workload, and when it came (to re-apply it over a load sent before it). */
interface Override {
  state: WorkloadState;
  at: number;
}

/**
 * Workloads by node, with the states events gave since the load was requested. A status event
 * replaces only its own node's map, so only that node's card re-draws.
 */
function byNode(map: PodMap, overrides: ReadonlyMap<string, Override>): ByNode {
  const result = new Map<string, Map<string, MapWorkload>>(map.nodes.map((n) => [n.name, new Map()]));
  for (const w of map.workloads) {
    const override = overrides.get(w.id);
    result.get(w.node)?.set(w.id, override ? { ...w, state: override.state } : w);
  }
  return result;
}

function CapacityForm({ client, pod }: PageProps & { pod: string }) {
  const [cpuWanted, setCpu] = useState('1');
  const [memory, setMemory] = useState('0');
  const [answer, setAnswer] = useState<string | null>(null);
  async function ask(event: Event): Promise<void> {
    event.preventDefault();
    try {
      const report = await client.pods.capacity(pod, { cpu: Number(cpuWanted), memory: memory as unknown as number });
      const top = report.nodes.filter((n) => n.capacity > 0).slice(0, 3);
      setAnswer(`${report.total} more fit${top.length ? ` (${top.map((n) => `${n.node} ${n.capacity}`).join(', ')}${report.nodes.filter((n) => n.capacity > 0).length > 3 ? ', …' : ''})` : ''}`);
    } catch (error) {
      setAnswer((error as Error).message);
    }
  }
  return (
    <form class="capacity" onSubmit={(e) => void ask(e)}>
      <span>Largest deploy of</span>
      <label>
        CPU <input value={cpuWanted} size={4} onInput={(e) => setCpu((e.target as HTMLInputElement).value)} aria-label="CPU per instance" />
      </label>
      <label>
        memory <input value={memory} size={6} onInput={(e) => setMemory((e.target as HTMLInputElement).value)} aria-label="memory per instance" />
      </label>
      <button type="submit">fits?</button>
      {answer && <output data-capacity>{answer}</output>}
    </form>
  );
}

function Legend() {
  return (
    <div class="legend" aria-label="legend">
      <span class="item">
        <span class="core free mini" /> free
      </span>
      <span class="item">
        <span class="core reserved mini" /> host (reserved)
      </span>
      <span class="item">
        <span class="core exclusive mini">
          <span class="piece whole pattern-1" style="--hue:210" />
        </span>{' '}
        exclusive (app colour, pattern and letters)
      </span>
      <span class="item">
        <span class="core fragment mini">
          <span class="pieces">
            <span class="piece pattern-2" style="width:40%;--hue:120" />
            <span class="piece pattern-3" style="width:30%;--hue:30" />
          </span>
        </span>{' '}
        fragment (a piece per workload, free part empty)
      </span>
      <span class="item">
        <span class="core fragment mini">
          <span class="pieces">
            <span class="piece job pattern-1" style="width:50%;--hue:300" />
          </span>
        </span>{' '}
        J, dashed: a job (eru run) while it runs
      </span>
      <span class="item">
        <span class="core exclusive mini">
          <span class="piece whole bad" style="--hue:0" />
        </span>{' '}
        ✕ exited or unhealthy
      </span>
      <span class="item">
        <span class="core free mini">
          <span class="use" style="height:60%" />
        </span>{' '}
        grey from the bottom: measured use
      </span>
      <span class="item">
        <span class="core exclusive mini idle" /> dotted: an exclusive core sitting idle
      </span>
    </div>
  );
}

export function PodPage({ client, live, pod }: PageProps & { pod: string }) {
  const map = useLoad(() => client.pods.map(pod), [client, pod], {
    live,
    // What moves pieces or nodes: a new or removed workload, a node change. Status changes are patched in place below.
    stale: (e) => e.pod === pod && (e.type === 'workload.created' || e.type === 'workload.removed' || e.type.startsWith('job.') || e.type.startsWith('node.')),
    // Measured use comes with heartbeats, not events: read again every 5 s (a large pod less often).
    everyMs: (data) => (data && data.nodes.length > 100 ? 30_000 : 5000),
  });
  const [filter, setFilter] = useState('');
  const [shown, setShown] = useState(PAGE);
  const [now, setNow] = useState(Date.now());
  const sentinel = useRef<HTMLDivElement>(null);
  const overrides = useRef(new Map<string, Override>());
  const [nodesOf, setNodesOf] = useState<ByNode>(new Map());

  // A fresh load: what events said since its request was sent still holds over it.
  useEffect(() => {
    if (!map.data) return;
    for (const [id, o] of overrides.current) if (o.at <= map.requestedAt) overrides.current.delete(id);
    setNodesOf(byNode(map.data, overrides.current));
  }, [map.data]);
  // A status event changes one workload's state: its node's map alone is replaced.
  useEffect(
    () =>
      live.subscribe((event) => {
        if (event.type !== 'workload.status' || event.pod !== pod || !event.workload || !event.node) return;
        const data = event.data as { running: boolean; healthy: boolean; reason?: string };
        const id = event.workload;
        const node = event.node;
        setNodesOf((current) => {
          const workloads = current.get(node);
          const workload = workloads?.get(id);
          if (!workloads || !workload) return current;
          const state = workloadState(data, workload.healthcheck);
          overrides.current.set(id, { state, at: performance.now() });
          const next = new Map(current);
          next.set(node, new Map(workloads).set(id, { ...workload, state }));
          return next;
        });
      }),
    [live, pod],
  );
  useEffect(() => {
    if (nodesOf.size > 0) markPainted();
    if (nodesOf.size > 0 && window.__eru.mapPaintedAt < 0) requestAnimationFrame(() => (window.__eru.mapPaintedAt = performance.now()));
  }, [nodesOf]);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  useEffect(() => {
    if (!sentinel.current) return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setShown((n) => n + PAGE));
    observer.observe(sentinel.current);
    return () => observer.disconnect();
  }, [map.data !== undefined]);

  if (map.error) return <p class="error">{map.error}</p>;
  if (!map.data) return <p class="muted">Loading pod {pod}…</p>;
  const { nodes, workloads, free } = map.data;
  const sharebase = map.data.pod.sharebase;
  const needle = filter.trim().toLowerCase();
  const matching = needle
    ? nodes.filter((n) => n.name.toLowerCase().includes(needle) || Object.entries(n.labels).some(([k, v]) => `${k}=${v}`.includes(needle)) || [...(nodesOf.get(n.name)?.values() ?? [])].some((w) => w.app.includes(needle)))
    : nodes;
  const up = nodes.filter((n) => n.liveness === 'up').length;
  const down = nodes.filter((n) => n.liveness === 'down').length;
  let bad = 0;
  for (const workloadsOfNode of nodesOf.values()) for (const w of workloadsOfNode.values()) if (w.state === 'exited' || w.state === 'unhealthy') bad++;
  return (
    <section class="pod" data-ready="true">
      <h1>
        Pod {pod} <span class="muted">1/{sharebase} CPU pieces</span>
      </h1>
      <p class="summary" data-summary>
        <span>
          {nodes.length} node{nodes.length === 1 ? '' : 's'} ({up} up{down ? `, ${down} down` : ''})
        </span>
        <span data-free-cores={free.wholeCores}>{free.wholeCores} whole cores free</span>
        <span data-free-cpu={free.cpu}>{cpu(free.cpu)} CPU free in pieces</span>
        <span>{bytes(free.memory)} memory free</span>
        <a href={href('workloads', { pod })}>
          {map.data.summarized ? map.data.summarized.workloads : workloads.length} workloads{bad ? `, ${bad} not running or unhealthy` : ''}
        </a>
        {map.data.summarized && (
          <span class="muted" data-summarized>
            more than {map.data.summarized.over} here: each node shows how many it holds, not who holds each core
          </span>
        )}
      </p>
      <CapacityForm client={client} live={live} pod={pod} />
      <Legend />
      <input class="filter" type="search" placeholder="filter nodes by name, label or app" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} aria-label="filter nodes" />
      <div class="nodes">
        {matching.slice(0, shown).map((node) => (
          <NodeCard node={node} sharebase={sharebase} workloads={nodesOf.get(node.name) ?? EMPTY} now={now} key={node.name} />
        ))}
      </div>
      {matching.length > shown && (
        <div ref={sentinel} class="more muted">
          {matching.length - shown} more nodes…
        </div>
      )}
    </section>
  );
}
