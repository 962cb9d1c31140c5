import { formatPosition, isAfter, type EruEvent, type EventPosition } from '../contract/events.js';
import type { Bus, Channel, Subscription } from './types.js';

/**
 * The events of the channel logged after `since` up to now, then the end: `GET /v1/events?since=…&live=false`
 * (an EruClient's `events({ …, since, live: 'false' })`).
 */
export type Replay = (since: string) => AsyncIterable<EruEvent>;

/** How long the bus may be quiet before the subscriber asks the log whether it missed something. */
const QUIET_CHECK_MS = 5000;

function positionOf(event: EruEvent): EventPosition | undefined {
  return event.revision === undefined ? undefined : { revision: event.revision, index: event.index ?? 0 };
}

/**
 * A bus subscription that misses nothing: each message names the one sent before it on its channel
 * (`previous`, chain.ts); when that is not the last one this subscriber saw — its connection moved to
 * another Redis node, or was down a while — the missed events are replayed from the event log
 * (`replay`, the core's `GET /v1/events?since=`) before the live ones go on. Each event reaches
 * `handler` once, in the log's order. A gap is seen at the next message; so that a subscriber whose
 * connection came back after the last events were sent is not left without them until the next
 * change, a bus quiet for `quietCheckMs` is checked against the log too. `onCatchUp` hears of each
 * replay (how many came back), or of one that failed (the next message or check tries again).
 */
export async function subscribeWithoutGaps(
  bus: Bus,
  channel: Channel,
  replay: Replay,
  handler: (event: EruEvent) => void,
  onCatchUp: (report: { from: string; replayed: number; error?: unknown }) => void = () => undefined,
  { quietCheckMs = QUIET_CHECK_MS }: { quietCheckMs?: number } = {},
): Promise<Subscription> {
  let last: EventPosition | undefined;
  let catchingUp = false;
  let heardAt = Date.now();
  const held: EruEvent[] = [];

  const deliver = (event: EruEvent): void => {
    const at = positionOf(event);
    if (at) last = at;
    handler(event);
  };

  /** Replays what was missed after the last event, up to `upTo` when a message showed the gap, else up to now. */
  const catchUp = async (upTo?: EventPosition): Promise<void> => {
    const from = formatPosition(last!);
    let replayed = 0;
    try {
      for await (const event of replay(from)) {
        const at = positionOf(event);
        if (!at || (last && !isAfter(at, last))) continue;
        if (upTo && isAfter(at, upTo)) break;
        deliver(event);
        replayed++;
        if (upTo && !isAfter(upTo, at)) break;
      }
      if (upTo || replayed > 0) onCatchUp({ from, replayed });
    } catch (error) {
      onCatchUp({ from, replayed, error });
      // The held messages then ask again; not at once, so a core that is down is not called in a loop.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };

  const catchUpWhile = (upTo?: EventPosition): void => {
    catchingUp = true;
    void catchUp(upTo).finally(() => {
      catchingUp = false;
      heardAt = Date.now();
      for (const waiting of held.splice(0)) onMessage(waiting);
    });
  };

  const onMessage = (event: EruEvent): void => {
    heardAt = Date.now();
    if (catchingUp) return void held.push(event);
    const at = positionOf(event);
    if (!at) return handler(event);
    if (last && !isAfter(at, last)) return; // already had it (replayed, or published twice across a change of leader)
    if (last && event.previous !== formatPosition(last)) {
      held.push(event);
      return catchUpWhile(at);
    }
    deliver(event);
  };

  const quietCheck = setInterval(() => {
    if (!catchingUp && last && Date.now() - heardAt >= quietCheckMs) catchUpWhile();
  }, Math.max(100, Math.floor(quietCheckMs / 2)));
  quietCheck.unref();
  const subscription = await bus.subscribe(channel, onMessage).catch((error: unknown) => {
    clearInterval(quietCheck);
    throw error;
  });
  return {
    close: async () => {
      clearInterval(quietCheck);
      await subscription.close();
    },
  };
}
