import { del, put, type Repositories } from '../repositories.js';
import { eventsOf, positionOf } from './feed.js';

/** How long the event log keeps events for replays, unless the core is told otherwise. */
export const DEFAULT_EVENT_RETENTION_MS = 60 * 60 * 1000;

/**
 * Drops the batches older than the retention, oldest first, moving the log's floor (the last event
 * dropped) before each delete: a replay from before the floor is refused (410) instead of quietly
 * missing what was dropped. Run by the leader. Returns how many events went.
 */
export async function pruneEventLog(repos: Repositories, retentionMs: number, now = Date.now()): Promise<number> {
  // The oldest run in the log's order (a core's clock running behind never leaves a hole under the floor).
  const batches = await repos.eventLog.batches();
  const firstKept = batches.findIndex((b) => b.at >= now - retentionMs);
  const old = firstKept === -1 ? batches : batches.slice(0, firstKept);
  let dropped = 0;
  for (let start = 0; start < old.length; start += 100) {
    const chunk = old.slice(start, start + 100);
    const lastEvent = eventsOf(chunk.at(-1)!).at(-1);
    const floor = lastEvent ? positionOf(lastEvent) : { revision: chunk.at(-1)!.revision, index: 0 };
    await repos.commit([], [put(repos.eventLog.floorKey, floor), ...chunk.map((b) => del(b.key))]);
    dropped += chunk.reduce((sum, b) => sum + b.events.length, 0);
  }
  return dropped;
}
