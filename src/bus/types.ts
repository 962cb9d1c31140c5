import type { EruEvent } from '../contract/events.js';

/**
 * The bus: every state change is one event (contract/events.ts). Subscribers choose channels:
 * everything, one app, or one pod.
 */
export type Channel = { kind: 'all' } | { kind: 'app'; app: string } | { kind: 'pod'; pod: string };

export interface Subscription {
  close(): Promise<void>;
}

export interface Bus {
  readonly description: string;
  /** Publishes each event, in order, on the all-channel and on its app and pod channels; several at once in one round trip. */
  publish(events: EruEvent | readonly EruEvent[]): Promise<void>;
  /** Delivers the events of one channel, in the order they were published. */
  subscribe(channel: Channel, handler: (event: EruEvent) => void): Promise<Subscription>;
  /** Resolves once the bus answers; a core checks this before it serves, so a bus it cannot use (a wrong CA, a wrong password) stops it with the reason. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** How services announce changes: fire and forget; a bus that is down never fails the change itself. */
export type Publish = (event: EruEvent) => void;

const PREFIX = 'eru:events';

export function channelName(channel: Channel): string {
  switch (channel.kind) {
    case 'all':
      return `${PREFIX}:all`;
    case 'app':
      return `${PREFIX}:app:${channel.app}`;
    case 'pod':
      return `${PREFIX}:pod:${channel.pod}`;
  }
}

/** The channels an event goes out on. */
export function channelsOf(event: EruEvent): string[] {
  return [
    channelName({ kind: 'all' }),
    ...(event.app ? [channelName({ kind: 'app', app: event.app })] : []),
    ...(event.pod ? [channelName({ kind: 'pod', pod: event.pod })] : []),
  ];
}
