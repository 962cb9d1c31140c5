import { del, put, type Repositories } from '../repositories.js';

/** How long the event log keeps events for replays, unless the core is told otherwise. */
export const DEFAULT_EVENT_RETENTION_MS = 60 * 60 * 1000;

/** When a batch was written, from its key (`{ms, base 36}-{core}-{seq}`: log.ts). */
function writtenAt(key: string): number {
  return parseInt(key.slice(key.lastIndexOf('/') + 1).split('-')[0]!, 36);
}

/**
 * Drops the batches older than the retention, by the time in their keys (no values read: the log
 * may be large), moving the log's floor (after the last batch dropped) with each delete: a replay
 * from before the floor is refused (410) instead of quietly missing what was dropped. Run by the
 * leader. Returns how many batches went.
 */
export async function pruneEventLog(repos: Repositories, retentionMs: number, now = Date.now()): Promise<number> {
  const old = (await repos.eventLog.batchKeys()).filter((key) => writtenAt(key) < now - retentionMs);
  let dropped = 0;
  for (let start = 0; start < old.length; start += 100) {
    const chunk = old.slice(start, start + 100);
    // The floor: after everything of the newest revision among them (keys sort by time; revisions nearly so).
    const revisions = (await Promise.all(chunk.map((key) => repos.eventLog.revisionOf(key)))).filter((r): r is number => r !== undefined);
    if (revisions.length === 0) continue;
    const floor = { revision: Math.max(...revisions, (await repos.eventLog.floor())?.revision ?? 0), index: Number.MAX_SAFE_INTEGER };
    await repos.commit([], [put(repos.eventLog.floorKey, floor), ...chunk.map((key) => del(key))]);
    dropped += chunk.length;
  }
  return dropped;
}
