import { useEffect, useState } from 'preact/hooks';
import type { Activity } from '../../model/activity.js';
import type { AppVersionView } from '../../contract/apps.js';
import { formatMemory } from '../../lib/units.js';
import { age } from '../format.js';
import { useLoad, type PageProps } from '../page.js';
import { href } from '../router.js';

/** One build, deploy, scale or replace: how it ended, and its lines (live progress appended while it runs). */
function ActivityRow({ activity, live }: { activity: Activity; live: PageProps['live'] }) {
  const [extra, setExtra] = useState<string[]>([]);
  const running = activity.ok === undefined && !activity.endedAt;
  useEffect(() => {
    if (!running) return;
    return live.subscribe((event) => {
      if (event.app !== activity.app || event.type !== 'deploy.progress') return;
      const data = event.data as { type?: string; id?: string; node?: string; cpuset?: string };
      setExtra((lines) => [...lines, `${data.type ?? 'progress'} ${data.id ?? ''} ${data.node ? `on ${data.node}` : ''} ${data.cpuset ? `(cpuset ${data.cpuset})` : ''}`.trim()]);
    });
  }, [running, live, activity.app]);
  const outcome = running ? 'running' : activity.ok ? 'ok' : activity.ok === false ? 'failed' : 'unfinished';
  const lines = [...activity.lines, ...extra];
  return (
    <details class={`activity activity-${outcome}`} data-activity={activity.id} data-kind={activity.kind} data-outcome={outcome} open={running}>
      <summary>
        <span class={`badge ${outcome}`}>{outcome === 'ok' ? '✔ ok' : outcome === 'failed' ? '✕ failed' : outcome === 'running' ? '… running' : '? unfinished'}</span>{' '}
        <strong>{activity.kind}</strong> {activity.version ? activity.version.slice(0, 7) : ''} {activity.entry ? `entry ${activity.entry}` : ''} {activity.pod ? `in ${activity.pod}` : ''}{' '}
        <span class="muted">
          {age(activity.startedAt)} ago{activity.endedAt ? `, took ${((Date.parse(activity.endedAt) - Date.parse(activity.startedAt)) / 1000).toFixed(1)} s` : ''}
        </span>{' '}
        <span>{activity.summary}</span>
      </summary>
      <pre class="logs">
        {activity.dropped > 0 ? `(${activity.dropped} earlier lines not kept)\n` : ''}
        {lines.join('\n') || '(no output)'}
      </pre>
    </details>
  );
}

export function AppPage({ client, live, app }: PageProps & { app: string }) {
  // An app run only from images has no registered versions (and no app record to ask about).
  const versions = useLoad(async () => ((await client.apps.list()).some((a) => a.name === app) ? client.apps.versions(app) : []), [client, app], { live, stale: (e) => e.app === app && (e.type === 'app.registered' || e.type === 'activity.ended' || e.type === 'version.tested') });
  const activities = useLoad(() => client.apps.activities(app), [client, app], { live, stale: (e) => e.app === app && e.type.startsWith('activity.') });
  const services = useLoad(() => client.services.list(), [client], { live, stale: (e) => e.app === app && (e.type === 'workload.created' || e.type === 'workload.removed') });
  const volumes = useLoad(() => client.apps.volumes(app), [client, app], { live, everyMs: 10_000, stale: (e) => e.app === app && (e.type === 'workload.created' || e.type === 'workload.removed') });
  return (
    <section class="app">
      <h1>App {app}</h1>
      <p>
        <a href={href('workloads', { app })}>its workloads</a> · <a href={href('events', { app })}>its events</a>
      </p>
      <h2>Services</h2>
      <table class="list">
        <thead>
          <tr>
            <th>Pod</th>
            <th>Entry</th>
            <th>Version</th>
            <th>Instances</th>
            <th>CPU each</th>
          </tr>
        </thead>
        <tbody>
          {(services.data ?? [])
            .filter((s) => s.app === app)
            .map((s) => (
              <tr key={`${s.pod}/${s.entry}`}>
                <td>
                  <a href={href('pods', s.pod)}>{s.pod}</a>
                </td>
                <td>{s.entry}</td>
                <td>{s.version?.slice(0, 7) ?? s.spec.image}</td>
                <td>{s.instances}</td>
                <td>{s.spec.cpu}</td>
              </tr>
            ))}
        </tbody>
      </table>
      {(volumes.data?.length ?? 0) > 0 && (
        <>
          <h2>Shared volumes</h2>
          <table class="list" data-volumes>
            <thead>
              <tr>
                <th>Name</th>
                <th>Used</th>
                <th>Quota</th>
                <th>Mounted by</th>
                <th>Nodes</th>
              </tr>
            </thead>
            <tbody>
              {volumes.data!.map((v) => (
                <tr key={v.name} data-volume={v.name}>
                  <td>{v.name}</td>
                  <td>{v.used !== undefined ? formatMemory(v.used) : '-'}</td>
                  <td>{v.quota !== undefined ? formatMemory(v.quota) : 'none'}</td>
                  <td>{v.users.length}</td>
                  <td>{v.nodes.map((n) => `${n.node}${n.ready ? '' : n.error ? ` (${n.error})` : ' (not ready)'}`).join(', ') || '-'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>Versions</h2>
      {versions.error && <p class="error">{versions.error}</p>}
      {!versions.data && !versions.error && <p class="muted">Loading…</p>}
      {versions.data?.length === 0 && <p class="muted">No registered versions (run from images only).</p>}
      <table class="list" data-versions>
        <thead>
          <tr>
            <th>Sha</th>
            <th>Registered</th>
            <th>Entrypoints</th>
            <th>Image</th>
            <th>Tests</th>
          </tr>
        </thead>
        <tbody>
          {[...(versions.data ?? [])].reverse().map((v) => (
            <tr key={v.sha} data-sha={v.sha}>
              <td>
                <code title={v.sha}>{v.sha.slice(0, 7)}</code>
                {v.local && <span class="muted"> local</span>}
              </td>
              <td>{age(v.createdAt)} ago</td>
              <td>{v.entrypoints.join(', ')}</td>
              <td>{v.image ? `✔ ${v.image}${v.builtOn ? ` (built on ${v.builtOn})` : ''}` : 'not built'}</td>
              <td data-tests={v.testState}>
                <TestBadge version={v} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Pushes, builds, deploys, scales and replaces</h2>
      {activities.data?.length === 0 && <p class="muted">None yet.</p>}
      {activities.data?.map((a) => (
        <ActivityRow activity={a} live={live} key={`${a.id}-${a.endedAt ?? ''}`} />
      ))}
    </section>
  );
}

/** A version's tests: passed, failed with its exit code (its last lines on hover), or why they did not run. */
function TestBadge({ version }: { version: AppVersionView }) {
  const test = version.test;
  switch (version.testState) {
    case 'none':
      return <span class="muted">no tests</span>;
    case 'untested':
      return <span class="badge unfinished">untested</span>;
    case 'running':
      return <span class="badge running">testing…</span>;
    case 'passed':
      return <span class="badge ok">✔ passed{test?.durationMs !== undefined ? ` in ${(test.durationMs / 1000).toFixed(1)} s` : ''}</span>;
    case 'failed':
      return (
        <span class="badge failed" title={test?.tail.slice(-10).join('\n') ?? ''}>
          ✘ failed{test?.exitCode !== undefined ? ` (exit ${test.exitCode})` : ''}{test?.reason ? `: ${test.reason}` : ''}
        </span>
      );
    case 'error':
      return <span class="badge failed">could not run: {test?.reason ?? '?'}</span>;
  }
}
