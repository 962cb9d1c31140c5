import { formatPosition, type EruEvent } from '../contract/events.js';
import { channelsOf } from './types.js';

/**
 * What a bus sends for an event on each of its channels: the event, with `previous` set to the
 * position of the last event sent on that channel, so a subscriber can tell it missed some
 * (bus/resume.ts). Events without a position (not from the event log) go out as they are.
 */
export class ChannelChain {
  private readonly last = new Map<string, string>();

  /**
   * The messages of these events, in order, and `sent` to call once they all went out (a failed send
   * is tried again with the same `previous`). A message is the event with its `previous`, as
   * `message` makes it (by default the event object; a bus that sends text serializes it once per
   * event, not once per channel: `message` is called for one event's channels one after another).
   */
  prepare<M = EruEvent>(events: readonly EruEvent[], message: (event: EruEvent, previous: string | undefined) => M = withPrevious as (event: EruEvent, previous: string | undefined) => M): { messages: Array<[channel: string, message: M]>; sent: () => void } {
    const last = new Map<string, string>();
    const messages: Array<[channel: string, message: M]> = [];
    for (const event of events) {
      const channels = channelsOf(event);
      if (event.revision === undefined) {
        for (const channel of channels) messages.push([channel, message(event, undefined)]);
        continue;
      }
      const position = formatPosition({ revision: event.revision, index: event.index ?? 0 });
      const { previous: _stale, ...rest } = event;
      for (const channel of channels) {
        messages.push([channel, message(rest, last.get(channel) ?? this.last.get(channel))]);
        last.set(channel, position);
      }
    }
    return {
      messages,
      sent: () => {
        for (const [channel, position] of last) this.last.set(channel, position);
      },
    };
  }
}

function withPrevious(event: EruEvent, previous: string | undefined): EruEvent {
  return previous === undefined ? event : { ...event, previous };
}

/**
 * A message maker for `prepare` that gives JSON text: each event serialized once, its `previous`
 * put in front for each channel.
 */
export function jsonMessages(): (event: EruEvent, previous: string | undefined) => string {
  let lastEvent: EruEvent | undefined;
  let json = '';
  return (event, previous) => {
    if (event !== lastEvent) {
      lastEvent = event;
      json = JSON.stringify(event);
    }
    return previous === undefined ? json : `{"previous":${JSON.stringify(previous)},${json.slice(1)}`;
  };
}
