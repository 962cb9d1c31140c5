import { formatPosition, isAfter, type EruEvent, type EventPosition } from '../contract/events.js';
import type { Bus, Channel, Subscription } from './types.js';

/** The events of the channel from just after `since`, as `GET /v1/events?since=` streams them (e.g. an EruClient's `events`). */
export type Replay = (since: string) => AsyncIterable<EruEvent>;

function positionOf(event: EruEvent): EventPosition | undefined {
  return event.revision === undefined ? undefined : { revision: event.revision, index: event.index ?? 0 };
}

/**
 * A bus subscription that misses nothing: each message names the one sent before it on its channel
 * (`previous`, chain.ts); when that is not the last one this subscriber saw — its connection moved to
 * another Redis node, or was down a while — the missed events are replayed from the event log
 * (`replay`, the core's `GET /v1/events?since=`) before the live ones go on. Each event reaches
 * `handler` once, in the log's order. `onCatchUp` hears of each replay (how many came back), or of
 * one that failed (the next message tries again).
 */
export async function subscribeWithoutGaps(
  bus: Bus,
  channel: Channel,
  replay: Replay,
  handler: (event: EruEvent) => void,
  onCatchUp: (report: { from: string; replayed: number; error?: unknown }) => void = () => undefined,
): Promise<Subscription> {
  let last: EventPosition | undefined;
  let catchingUp = false;
  const held: EruEvent[] = [];

  const deliver = (event: EruEvent): void => {
    const at = positionOf(event);
    if (at) last = at;
    handler(event);
  };

  const catchUp = async (upTo: EventPosition): Promise<void> => {
    const from = formatPosition(last!);
    let replayed = 0;
    try {
      for await (const event of replay(from)) {
        const at = positionOf(event);
        if (!at || (last && !isAfter(at, last))) continue;
        if (isAfter(at, upTo)) break;
        deliver(event);
        replayed++;
        if (!isAfter(upTo, at)) break;
      }
      onCatchUp({ from, replayed });
    } catch (error) {
      onCatchUp({ from, replayed, error });
      // The held messages then ask again; not at once, so a core that is down is not called in a loop.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  };

  const onMessage = (event: EruEvent): void => {
    if (catchingUp) return void held.push(event);
    const at = positionOf(event);
    if (!at) return handler(event);
    if (last && !isAfter(at, last)) return; // already had it (replayed, or published twice across a change of leader)
    if (last && event.previous !== formatPosition(last)) {
      catchingUp = true;
      held.push(event);
      void catchUp(at).finally(() => {
        catchingUp = false;
        for (const waiting of held.splice(0)) onMessage(waiting);
      });
      return;
    }
    deliver(event);
  };

  return bus.subscribe(channel, onMessage);
}
