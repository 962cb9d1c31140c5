import type { Bus, Channel } from '../../bus/types.js';
import { eventMatches } from '../../contract/constants.js';
import type { EruEvent, EventFilter } from '../../contract/events.js';
import { EventQueue } from '../background.js';

/** Events: the bus, filtered for a watcher (`GET /v1/events`, `eru watch`, the dashboard, team scripts). */
export class Events {
  constructor(private readonly bus: Bus) {}

  /** The narrowest channel that holds everything asked for; the rest is filtered here. */
  async watch(filter: EventFilter): Promise<{ events: EventQueue<EruEvent>; close: () => Promise<void> }> {
    const channel: Channel = filter.app ? { kind: 'app', app: filter.app } : filter.pod ? { kind: 'pod', pod: filter.pod } : { kind: 'all' };
    // A watcher that falls 10,000 events behind is cut off rather than held in memory.
    const events = new EventQueue<EruEvent>(10_000, 'end');
    const subscription = await this.bus.subscribe(channel, (e) => eventMatches(filter, e) && events.push(e));
    return {
      events,
      close: async () => {
        await subscription.close();
        events.end();
      },
    };
  }
}
