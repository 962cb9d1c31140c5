import { eventMatches } from '../../contract/constants.js';
import type { EruEvent, EventFilter, EventPosition } from '../../contract/events.js';
import { EventQueue } from '../background.js';
import type { EventFeed } from './feed.js';

/**
 * Events: the cluster's event log (README.md here), filtered for a watcher (`GET /v1/events`,
 * `eru watch`, the dashboard, team scripts), from a position or from now.
 */
export class Events {
  constructor(private readonly feed: EventFeed) {}

  async watch(filter: EventFilter): Promise<{ events: AsyncIterable<EruEvent>; from: EventPosition; close: () => Promise<void> }> {
    const { since, live, limit, ...match } = filter;
    if (live === false && since) {
      // A catch-up: what is logged after `since` (a page of it, with a limit), then the end of the stream.
      const history = (await this.feed.history(since)).filter((e) => eventMatches(match, e));
      return { events: listed(limit !== undefined ? history.slice(0, limit) : history), from: since, close: async () => undefined };
    }
    // A watcher that falls 10,000 events behind is cut off rather than held in memory (it resumes from its last position).
    const events = new EventQueue<EruEvent>(10_000, 'end');
    const following = await this.feed.follow(since, (e) => eventMatches(match, e) && events.push(e));
    return {
      events,
      from: following.from,
      close: async () => {
        following.close();
        events.end();
      },
    };
  }
}

async function* listed(events: readonly EruEvent[]): AsyncGenerator<EruEvent> {
  yield* events;
}
