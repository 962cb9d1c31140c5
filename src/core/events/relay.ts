import type { Bus } from '../../bus/types.js';
import { isAfter, type EruEvent, type EventPosition } from '../../contract/events.js';
import type { Log } from '../../lib/log.js';
import { put, type Repositories } from '../repositories.js';
import type { EventFeed, Following } from './feed.js';
import { positionOf } from './feed.js';

/** How often the relay's place is saved (a new leader starts from there: at most this much is published twice). */
const SAVE_EVERY_MS = 1000;
/** Events held in memory while the bus does not take them; past that the relay reads them from the log again once it does. */
export const DEFAULT_BUS_BACKLOG = 10_000;

/**
 * The bus relay, run by the leader: every logged event, in the log's order, published on the bus
 * (Redis, for the teams that subscribe there), from where the last relay stopped (saved in the store).
 * A bus that is down holds the relay, not the cores: events wait in the log and go out, in order, when
 * it is back. Bus subscribers may see an event twice across a change of leader: its position tells.
 * While the bus is down at most `backlog` events wait in memory; the relay then stops following and,
 * once the bus takes events again, reads the rest from the log from where it is.
 */
/** Events handed to the bus in one publish. */
const PUBLISH_BATCH = 200;

export class BusRelay {
  private following: Following | undefined;
  private queue: EruEvent[] = [];
  private sending = false;
  private stopped = true;
  private saved: EventPosition | undefined;
  private sent: EventPosition | undefined;
  private lastSave = 0;
  /** The backlog filled: the log holds what follows the queue, to be read again once it is sent. */
  private behind = false;

  constructor(
    private readonly repos: Repositories,
    private readonly feed: EventFeed,
    private readonly bus: Bus,
    private readonly log: Log,
    private readonly backlog = DEFAULT_BUS_BACKLOG,
  ) {}

  /** Starts relaying (the leader calls it every tick; a running relay goes on). */
  async run(): Promise<void> {
    if (!this.stopped) {
      await this.save();
      return;
    }
    this.queue = [];
    // Never relayed yet (a new cluster): from the log's start, so nothing logged before the first leader is missed.
    let from: EventPosition = (await this.repos.eventLog.relayed()) ?? { revision: 0, index: -1 };
    const floor = await this.repos.eventLog.floor();
    if (floor && isAfter(floor, from)) {
      // No leader for longer than the log keeps events: what was pruned never reaches the bus.
      this.log.warn({ from, floor }, 'the bus relay stopped before events now pruned; relaying from the oldest kept');
      from = floor;
    }
    this.saved = this.sent = from;
    this.stopped = false;
    try {
      await this.follow(from);
    } catch (error) {
      this.stopped = true;
      throw error;
    }
  }

  private async follow(from: EventPosition): Promise<void> {
    this.behind = false;
    this.following = await this.feed.follow(from, (event) => this.take(event));
  }

  private take(event: EruEvent): void {
    if (this.behind || this.stopped) return;
    if (this.queue.length >= this.backlog) {
      this.log.warn({ waiting: this.queue.length }, 'the bus has not taken events for long: the rest are read from the log once it does');
      this.behind = true;
      this.following?.close();
      this.following = undefined;
      return;
    }
    this.queue.push(event);
    if (!this.sending) void this.send();
  }

  /** Stops relaying (leadership lost, or the core stops). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.following?.close();
    this.following = undefined;
    await this.save().catch(() => undefined);
  }

  private async send(): Promise<void> {
    this.sending = true;
    let backoff = 100;
    while (!this.stopped) {
      if (this.queue.length === 0) {
        if (!this.behind) break;
        try {
          // Every event after the last one sent, from the log; the queue fills again (to the backlog at most).
          await this.follow(this.sent!);
        } catch (error) {
          this.log.warn({ err: error }, 'cannot read the event log again for the bus relay');
          await new Promise((resolve) => setTimeout(resolve, 1000).unref());
        }
        continue;
      }
      // What is waiting goes out together (one round trip to Redis for many events), in order.
      const batch = this.queue.slice(0, PUBLISH_BATCH);
      try {
        await this.bus.publish(batch);
        this.queue.splice(0, batch.length);
        this.sent = positionOf(batch.at(-1)!);
        backoff = 100;
        if (Date.now() - this.lastSave > SAVE_EVERY_MS) await this.save();
      } catch (error) {
        if (backoff === 100) this.log.warn({ err: error, waiting: this.queue.length }, 'the bus does not take events; holding them until it does');
        await new Promise((resolve) => setTimeout(resolve, backoff).unref());
        backoff = Math.min(backoff * 2, 2000);
      }
    }
    this.sending = false;
  }

  private async save(): Promise<void> {
    const sent = this.sent;
    if (!sent || (this.saved && this.saved.revision === sent.revision && this.saved.index === sent.index)) return;
    this.lastSave = Date.now();
    try {
      await this.repos.commit([], [put(this.repos.eventLog.relayKey, sent)]);
      this.saved = sent;
    } catch (error) {
      this.log.warn({ err: error }, 'cannot save where the bus relay is');
    }
  }
}
