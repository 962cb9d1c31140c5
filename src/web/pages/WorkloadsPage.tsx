import { useEffect } from 'preact/hooks';
import type { WorkloadListItem } from '../../contract/workloads.js';
import type { WorkloadStatus } from '../../model/status.js';
import { WORKLOAD_KINDS, WORKLOAD_STATES, workloadState } from '../../contract/states.js';
import { Filters, pickFilters } from '../components/Filters.js';
import { State } from '../components/State.js';
import { age, bytes, cpu } from '../format.js';
import { markPainted } from '../live.js';
import { useLoad, type PageProps } from '../page.js';
import { href } from '../router.js';

const FILTERS = ['pod', 'app', 'node', 'status', 'kind'] as const;

/** Every workload (jobs while they run too), grouped by app and entrypoint, filtered by pod, app, node, state and kind (kept in the URL). */
export function WorkloadsPage({ client, live, query }: PageProps & { query: Record<string, string> }) {
  const filter = pickFilters(FILTERS, query);
  const list = useLoad(() => client.workloads.list(filter), [client, JSON.stringify(filter)], {
    live,
    stale: (e) => e.type === 'workload.created' || e.type === 'workload.removed' || e.type.startsWith('job.') || e.type === 'endpoints.changed',
  });
  const setFilter = (name: string, value: string): void => {
    location.hash = href('workloads', { ...query, [name]: value || undefined });
  };
  // Status changes are patched in place; other changes load the list again.
  useEffect(
    () =>
      live.subscribe((event) => {
        if (event.type !== 'workload.status' || !event.workload) return;
        const status = event.data as unknown as WorkloadStatus;
        const patched = (w: WorkloadListItem): WorkloadListItem => ({ ...w, status: { ...status, id: w.id }, state: workloadState(status, w.healthcheck !== undefined) });
        list.setData((items) => (items.some((w) => w.id === event.workload) ? items.map((w) => (w.id === event.workload ? patched(w) : w)) : items));
        markPainted();
      }),
    [live],
  );
  const groups = new Map<string, WorkloadListItem[]>();
  for (const w of list.data ?? []) {
    const key = `${w.app}/${w.entry}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  return (
    <section>
      <h1>Workloads</h1>
      <Filters
        names={FILTERS}
        query={query}
        choices={[
          { name: 'status', options: WORKLOAD_STATES.map((state) => ({ value: state, label: state })) },
          { name: 'kind', options: WORKLOAD_KINDS.map((kind) => ({ value: kind, label: kind })) },
        ]}
        onChange={setFilter}
      />
      {list.error && <p class="error">{list.error}</p>}
      {!list.data && !list.error && <p class="muted">Loading workloads…</p>}
      {list.data?.length === 0 && <p class="muted">No workload matches.</p>}
      <div class="scroll">
        <table class="list workloads">
          <thead>
            <tr>
              <th>Workload</th>
              <th>Kind</th>
              <th>Status</th>
              <th>Node</th>
              <th>Cpuset</th>
              <th>CPU</th>
              <th>Memory</th>
              <th>Addresses</th>
              <th>Age</th>
            </tr>
          </thead>
          {[...groups].map(([group, items]) => (
            <tbody key={group}>
              <tr class="group">
                <th colSpan={9}>
                  <a href={href('apps', items[0]!.app)}>{items[0]!.app}</a> / {items[0]!.entry} <span class="muted">({items.length})</span>
                </th>
              </tr>
              {items.map((w) => (
                <WorkloadRow w={w} key={w.id} />
              ))}
            </tbody>
          ))}
        </table>
      </div>
    </section>
  );
}

function WorkloadRow({ w }: { w: WorkloadListItem }) {
  const state = w.state;
  return (
    <tr data-workload={w.id} data-state={state} data-kind={w.kind}>
      <td>
        <a href={href('workloads', w.id)}>{w.id}</a>
      </td>
      <td>{w.kind}</td>
      <td>
        <State state={state} detail={w.status && !w.status.running && w.status.exitCode !== undefined ? String(w.status.exitCode) : undefined} />
      </td>
      <td>{w.node}</td>
      <td>{w.cpuSettings.cpusetCpus || '–'}</td>
      <td>{cpu(w.cpu)}</td>
      <td>{w.placement.memory ? bytes(w.placement.memory) : '–'}</td>
      <td>{w.addresses.map((a) => `${a.address} (${a.network})`).join(', ') || '–'}</td>
      <td>{age(w.createdAt)}</td>
    </tr>
  );
}
