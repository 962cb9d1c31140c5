import { useEffect, useState } from 'preact/hooks';
import type { EruEvent } from '../../contract/events.js';
import { EVENT_TYPES, eventMatches } from '../../contract/constants.js';
import { Filters, pickFilters } from '../components/Filters.js';
import { markPainted } from '../live.js';
import type { PageProps } from '../page.js';
import { href } from '../router.js';

const KEPT = 500;
const FILTERS = ['app', 'pod', 'node', 'type'] as const;
/** A family (`workload.*`: every type under it), then each type. */
const TYPE_OPTIONS = [
  ...[...new Set(EVENT_TYPES.map((t) => t.split('.')[0]!))].map((family) => ({ value: family, label: `${family}.*` })),
  ...EVENT_TYPES.map((t) => ({ value: t, label: t })),
];

/** What an event says, in a line: its data without the fields the columns show. */
function describe(event: EruEvent): string {
  return Object.entries(event.data)
    .filter(([, v]) => v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/**
 * The bus as it happens: the same filters as `GET /v1/events` (app, pod, node, type — a family such
 * as `workload` matches every type under it), applied to the page's one stream.
 */
export function EventsPage({ live, query }: PageProps & { query: Record<string, string> }) {
  const [events, setEvents] = useState<EruEvent[]>([]);
  const filter = pickFilters(FILTERS, query);
  const matches = (e: EruEvent): boolean => eventMatches(filter, e);
  useEffect(
    () =>
      live.subscribe((event) => {
        if (!matches(event)) return;
        setEvents((current) => [event, ...current].slice(0, KEPT));
        markPainted();
      }),
    [live, JSON.stringify(query)],
  );
  const setFilter = (name: string, value: string): void => {
    setEvents([]);
    location.hash = href('events', { ...query, [name]: value || undefined });
  };
  return (
    <section>
      <h1>Events</h1>
      <Filters names={FILTERS} query={query} choices={[{ name: 'type', options: TYPE_OPTIONS }]} onChange={setFilter} />
      <p class="muted">{events.length === 0 ? 'Waiting for events… (they appear as they happen)' : `${events.length} event(s), newest first`}</p>
      <div class="scroll">
        <table class="list events" data-events>
          <thead>
            <tr>
              <th>Time</th>
              <th>Type</th>
              <th>Pod</th>
              <th>App</th>
              <th>Node</th>
              <th>Workload</th>
              <th>Data</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id} data-type={e.type}>
                <td>{e.time.slice(11, 23)}</td>
                <td>{e.type}</td>
                <td>{e.pod && <a href={href('pods', e.pod)}>{e.pod}</a>}</td>
                <td>{e.app && <a href={href('apps', e.app)}>{e.app}</a>}</td>
                <td>{e.node}</td>
                <td>{e.workload && <a href={href('workloads', e.workload)}>{e.workload}</a>}</td>
                <td class="data">{describe(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
