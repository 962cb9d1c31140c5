import { event } from '../../bus/index.js';
import { ACTIVITIES_KEPT, ACTIVITY_LINES, type Activity } from '../../model/activity.js';
import { randomSuffix } from '../../lib/ids.js';
import type { EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { del, put } from '../repositories.js';

/** One line of text for an event of a build or deploy stream, as the dashboard lists it. */
function lineOf(event: { type: string } & Record<string, unknown>): string | null {
  switch (event.type) {
    case 'output':
      return String(event.line ?? '');
    case 'test-output':
      return `  | ${String(event.line ?? '')}`;
    case 'result':
      return null;
    case 'note':
      return String(event.message ?? '');
    case 'started':
      return `started ${String(event.id)} on ${String(event.node)} (cpuset ${String(event.cpuset)}) ${String(event.done)}/${String(event.total)}`;
    case 'planned':
      return `planned ${(event.workloads as Array<{ id: string; node: string; cpuset: string }>).map((w) => `${w.id} on ${w.node} [${w.cpuset}]`).join(', ')}`;
    default: {
      const { type, ...rest } = event;
      return `${type} ${Object.entries(rest)
        .filter(([, v]) => typeof v !== 'object')
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`;
    }
  }
}

function summaryOf(result: Record<string, unknown>): { ok: boolean; summary: string } {
  if (result.ok === false) return { ok: false, summary: String((result.error as { message?: string } | undefined)?.message ?? 'failed') };
  if (Array.isArray(result.workloads)) return { ok: true, summary: `${result.workloads.length} workload(s)` };
  if (typeof result.image === 'string') return { ok: true, summary: `built ${result.image}${result.test === 'passed' ? ', tests passed' : ''}` };
  return { ok: true, summary: 'done' };
}

/**
 * Keeps a build, deploy, scale or replace of an app as an activity in the store: written when it
 * starts and when it ends (two writes, whatever its length), with its last lines; the oldest beyond
 * ACTIVITIES_KEPT go. Progress in between travels on the bus, as it always has.
 */
export async function trackActivity<E extends { type: string }>(
  context: CoreContext,
  meta: Pick<Activity, 'kind' | 'app'> & Partial<Pick<Activity, 'pod' | 'entry' | 'version'>>,
  queue: EventQueue<E>,
): Promise<EventQueue<E>> {
  const { repos, log } = context;
  const activity: Activity = { id: `${Date.now().toString(36).padStart(9, '0')}-${randomSuffix()}`, ...meta, startedAt: new Date().toISOString(), summary: '', lines: [], dropped: 0 };
  const key = repos.activities.key(meta.app, activity.id);
  let last: Record<string, unknown> = {};
  let ended = false;
  // Watched before anything is awaited, so no early event is missed.
  queue.watch(
    (event) => {
      last = event as unknown as Record<string, unknown>;
      const line = lineOf(event as unknown as { type: string } & Record<string, unknown>);
      if (line === null) return;
      activity.lines.push(line);
      if (activity.lines.length > ACTIVITY_LINES) {
        activity.lines.shift();
        activity.dropped++;
      }
    },
    () => (ended = true),
  );
  const old = (await repos.activities.list(meta.app)).slice(0, -(ACTIVITIES_KEPT - 1) || undefined);
  await repos.commit([], [put(key, { ...activity }), ...old.map((a) => del(repos.activities.key(meta.app, a.value.id)))]);
  context.publish(event('activity.started', { app: meta.app, ...(meta.pod ? { pod: meta.pod } : {}), data: { activity: activity.id, kind: meta.kind } }));
  const finish = (): void => {
    const record: Activity = { ...activity, endedAt: new Date().toISOString(), ...summaryOf(last) };
    repos
      .commit([], [put(key, record)])
      .then(() => context.publish(event('activity.ended', { app: meta.app, ...(meta.pod ? { pod: meta.pod } : {}), data: { activity: activity.id, kind: meta.kind, ok: record.ok, summary: record.summary } })))
      .catch((error: unknown) => log.warn({ err: error, activity: activity.id }, 'cannot record how an activity ended'));
  };
  // The end is written after the start, even when the operation ended while the start was written.
  if (ended) finish();
  else queue.watch(() => undefined, finish);
  return queue;
}
