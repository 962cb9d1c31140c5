import type { EruEvent } from '../../contract/events.js';
import type { Log } from '../../lib/log.js';
import { absent, put, type Repositories } from '../repositories.js';

/** A batch stays well under etcd's 1.5 MiB request limit. */
const MAX_BATCH_EVENTS = 500;
const MAX_BATCH_BYTES = 64 * 1024;
/** Events held while the store does not answer; past this the oldest are dropped (and said so). */
const MAX_PENDING = 100_000;

/**
 * The writing side of the event log: what a core publishes is appended here and written to the
 * store, in publish order, in as few writes as the pace allows (everything waiting goes in the next
 * write). The store's revision then orders every core's events into one history, which the feed
 * (feed.ts) reads and the relay (relay.ts) hands to the bus. Publishing never fails the change that
 * published: a store that does not answer keeps the events here until it does.
 */
export class EventLog {
  private pending: EruEvent[] = [];
  private writing = false;
  private seq = 0;
  private dropped = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly repos: Repositories,
    private readonly coreId: string,
    private readonly log: Log,
  ) {}

  append(event: EruEvent): void {
    this.pending.push(event);
    if (this.pending.length > MAX_PENDING) {
      this.pending.shift();
      if (this.dropped++ % 1000 === 0) this.log.error({ dropped: this.dropped }, 'the store has not taken events for long: dropping the oldest unwritten ones');
    }
    if (!this.writing) void this.writeAll();
  }

  /** Resolves once everything appended so far is written (tests, a core stopping). */
  flushed(): Promise<void> {
    return this.pending.length === 0 && !this.writing ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  private async writeAll(): Promise<void> {
    this.writing = true;
    let backoff = 100;
    // One batch at a time, under one key until it is written: a write whose answer was lost (an etcd
    // call past its deadline that still landed) is tried again under the same key, only if absent,
    // so it is never logged twice.
    let batch: { key: string; at: number; events: EruEvent[] } | undefined;
    while (batch || this.pending.length > 0) {
      if (!batch) {
        const at = Date.now();
        // The key sorts by time for pruning; the revision, not the key, orders the history.
        batch = { key: this.repos.eventLog.key(`${at.toString(36).padStart(9, '0')}-${this.coreId}-${(this.seq++).toString(36).padStart(6, '0')}`), at, events: this.take() };
      }
      try {
        // False: the key is there, written by an earlier try whose answer was lost.
        await this.repos.commit([absent(batch.key)], [put(batch.key, { at: batch.at, events: batch.events })]);
        const written = new Set(batch.events);
        this.pending = this.pending.filter((e) => !written.has(e));
        batch = undefined;
        backoff = 100;
      } catch (error) {
        this.log.warn({ err: error, waiting: this.pending.length }, 'cannot log events; trying again');
        await new Promise((resolve) => setTimeout(resolve, backoff).unref());
        backoff = Math.min(backoff * 2, 2000);
      }
    }
    this.writing = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** The oldest waiting events, up to a batch's limits (always at least one). */
  private take(): EruEvent[] {
    let bytes = 0;
    let count = 0;
    for (const event of this.pending) {
      bytes += JSON.stringify(event).length;
      if (count > 0 && (count >= MAX_BATCH_EVENTS || bytes > MAX_BATCH_BYTES)) break;
      count++;
    }
    return this.pending.slice(0, count);
  }
}
