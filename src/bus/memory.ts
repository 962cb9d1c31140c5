import { EventEmitter } from 'node:events';
import type { EruEvent } from '../contract/events.js';
import { ChannelChain } from './chain.js';
import { channelName, type Bus, type Channel, type Subscription } from './types.js';

/** The bus of a single-machine Eru: subscribers in this process. */
export class MemoryBus implements Bus {
  readonly description = 'memory';
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private readonly chain = new ChannelChain();

  async ready(): Promise<void> {
    // always ready
  }

  async publish(events: EruEvent | readonly EruEvent[]): Promise<void> {
    const { messages, sent } = this.chain.prepare(Array.isArray(events) ? events : [events as EruEvent]);
    for (const [channel, message] of messages) this.emitter.emit(channel, message);
    sent();
  }

  async subscribe(channel: Channel, handler: (event: EruEvent) => void): Promise<Subscription> {
    const name = channelName(channel);
    const listener = (event: EruEvent): void => {
      try {
        handler(event);
      } catch {
        // A subscriber's failure is its own.
      }
    };
    this.emitter.on(name, listener);
    return { close: async () => void this.emitter.off(name, listener) };
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}
