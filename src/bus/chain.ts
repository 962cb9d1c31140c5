import { formatPosition, type EruEvent } from '../contract/events.js';
import { channelsOf } from './types.js';

/**
 * What a bus sends for an event on each of its channels: the event, with `previous` set to the
 * position of the last event sent on that channel, so a subscriber can tell it missed some
 * (bus/resume.ts). Events without a position (not from the event log) go out as they are.
 */
export class ChannelChain {
  private readonly last = new Map<string, string>();

  /** The messages, and `sent` to call once they all went out (a failed send is tried again with the same `previous`). */
  prepare(event: EruEvent): { messages: Array<[channel: string, event: EruEvent]>; sent: () => void } {
    const channels = channelsOf(event);
    if (event.revision === undefined) return { messages: channels.map((channel) => [channel, event]), sent: () => undefined };
    const position = formatPosition({ revision: event.revision, index: event.index ?? 0 });
    const { previous: _stale, ...rest } = event;
    return {
      messages: channels.map((channel) => {
        const previous = this.last.get(channel);
        return [channel, previous === undefined ? rest : { ...rest, previous }];
      }),
      sent: () => {
        for (const channel of channels) this.last.set(channel, position);
      },
    };
  }
}
