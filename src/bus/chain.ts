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
   * is tried again with the same `previous`).
   */
  prepare(events: readonly EruEvent[]): { messages: Array<[channel: string, event: EruEvent]>; sent: () => void } {
    const last = new Map<string, string>();
    const messages: Array<[channel: string, event: EruEvent]> = [];
    for (const event of events) {
      const channels = channelsOf(event);
      if (event.revision === undefined) {
        messages.push(...channels.map((channel): [string, EruEvent] => [channel, event]));
        continue;
      }
      const position = formatPosition({ revision: event.revision, index: event.index ?? 0 });
      const { previous: _stale, ...rest } = event;
      for (const channel of channels) {
        const previous = last.get(channel) ?? this.last.get(channel);
        messages.push([channel, previous === undefined ? rest : { ...rest, previous }]);
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
