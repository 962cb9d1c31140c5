import { formatPosition, isAfter, type EruEvent, type EventPosition } from '../../contract/events.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import type { Watch } from '../../store/types.js';
import type { Repositories } from '../repositories.js';
import type { LoggedBatch } from './batch.js';

/** A batch's events, each with its place in the history. */
export function eventsOf(batch: LoggedBatch): EruEvent[] {
  return batch.events.map((e, index) => ({ ...e, revision: batch.revision, index }));
}

export function positionOf(event: EruEvent): EventPosition {
  return { revision: event.revision ?? 0, index: event.index ?? 0 };
}

export interface Following {
  /** Where the follower started: just after this (the position asked, or the log's head when none was). */
  from: EventPosition;
  close(): void;
}

/**
 * The reading side of the event log: one store watch per core, fanned out to every follower (watchers
 * of `GET /v1/events`, the bus relay). A follower that names a position gets the log from just after
 * it, then the live events, each exactly once: the watch starts before the log is read, and whatever
 * both hold is told apart by its position.
 */
export class EventFeed {
  private watching: Promise<Watch> | undefined;
  private readonly followers = new Set<(events: EruEvent[]) => void>();

  constructor(private readonly repos: Repositories) {}

  async follow(since: EventPosition | undefined, onEvent: (event: EruEvent) => void): Promise<Following> {
    let last: EventPosition | undefined;
    let held: EruEvent[] | undefined = [];
    const deliver = (event: EruEvent): void => {
      const at = positionOf(event);
      if (last && !isAfter(at, last)) return;
      last = at;
      onEvent(event);
    };
    const follower = (events: EruEvent[]): void => {
      if (held) held.push(...events);
      else for (const event of events) deliver(event);
    };
    this.followers.add(follower);
    const close = (): void => void this.followers.delete(follower);
    try {
      await this.watch();
      // From now: the head read after the watch began; whatever comes later the watch has.
      const from = since ?? { revision: await this.repos.revision(), index: Number.MAX_SAFE_INTEGER };
      last = from;
      if (since) for (const event of await this.history(since)) deliver(event);
      const waiting = held;
      held = undefined;
      for (const event of waiting) deliver(event);
      return { from, close };
    } catch (error) {
      close();
      throw error;
    }
  }

  /** What the log holds after `since`, up to now; refused when part of it was pruned. */
  async history(since: EventPosition): Promise<EruEvent[]> {
    const floor = await this.repos.eventLog.floor();
    if (floor && isAfter(floor, since)) {
      throw new EruError(ErrorCode.EVENTS_PRUNED, `events up to ${formatPosition(floor)} are no longer kept; replay from there, or read the current state and watch from now`, {
        path: ['since'],
        details: { floor },
      });
    }
    return (await this.repos.eventLog.batches(since.revision - 1)).flatMap(eventsOf).filter((event) => isAfter(positionOf(event), since));
  }

  async close(): Promise<void> {
    this.followers.clear();
    const watching = this.watching;
    this.watching = undefined;
    if (watching) await (await watching).close();
  }

  private watch(): Promise<Watch> {
    this.watching ??= this.repos.eventLog.watch((batch) => {
      const events = eventsOf(batch);
      for (const follower of this.followers) follower(events);
    });
    // A watch that could not be made is tried again by the next follower.
    this.watching.catch(() => (this.watching = undefined));
    return this.watching;
  }
}
