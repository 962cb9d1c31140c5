import { Redis, type RedisOptions } from 'ioredis';
import type { Credentials } from '../lib/credentials.js';
import { EruEventSchema, type EruEvent } from '../contract/events.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { channelName, channelsOf, type Bus, type Channel, type Subscription } from './types.js';

/**
 * The bus of a cluster: Redis pub/sub. One connection publishes (each event on its channels in one
 * MULTI, so subscribers of any channel see events in publish order); one connection in subscribe mode
 * fans messages out to this process's handlers.
 */
export class RedisBus implements Bus {
  readonly description: string;
  private readonly publisher: Redis;
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(event: EruEvent) => void>>();

  private readonly options: RedisOptions;

  /** `rediss://` is TLS, the server checked against `credentials.ca` (else the system's CAs). */
  constructor(
    readonly url: string,
    credentials: Credentials = {},
  ) {
    this.description = url;
    this.options = {
      lazyConnect: true,
      ...(credentials.user ? { username: credentials.user } : {}),
      ...(credentials.password ? { password: credentials.password } : {}),
      ...(url.startsWith('rediss://')
        ? { tls: { ...(credentials.ca ? { ca: credentials.ca } : {}), ...(credentials.cert && credentials.key ? { cert: credentials.cert, key: credentials.key } : {}) } }
        : {}),
    };
    this.publisher = new Redis(url, { ...this.options, maxRetriesPerRequest: 3 });
  }

  /** Connects and pings; the first connection error (a certificate, a password) fails it rather than retrying for ever. */
  async ready(): Promise<void> {
    let onError: (error: Error) => void = () => undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      onError = reject;
      this.publisher.once('error', onError);
    });
    try {
      await Promise.race([
        (async () => {
          if (this.publisher.status === 'wait') await this.publisher.connect();
          await this.publisher.ping();
        })(),
        failed,
      ]);
    } catch (error) {
      this.publisher.disconnect();
      throw new EruError(ErrorCode.BUS_UNAVAILABLE, `bus ${this.url}: ${(error as Error).message}`);
    } finally {
      this.publisher.off('error', onError);
    }
  }

  async publish(event: EruEvent): Promise<void> {
    try {
      if (this.publisher.status === 'wait') await this.publisher.connect();
      const text = JSON.stringify(event);
      const multi = this.publisher.multi();
      for (const channel of channelsOf(event)) multi.publish(channel, text);
      await multi.exec();
    } catch (error) {
      throw new EruError(ErrorCode.BUS_UNAVAILABLE, `bus ${this.url}: ${(error as Error).message}`);
    }
  }

  private async connection(): Promise<Redis> {
    if (this.subscriber) return this.subscriber;
    const subscriber = new Redis(this.url, this.options);
    await subscriber.connect();
    subscriber.on('message', (channel: string, message: string) => {
      const parsed = EruEventSchema.safeParse(JSON.parse(message));
      if (!parsed.success) return;
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(parsed.data);
        } catch {
          // A subscriber's failure is its own.
        }
      }
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  async subscribe(channel: Channel, handler: (event: EruEvent) => void): Promise<Subscription> {
    const name = channelName(channel);
    const subscriber = await this.connection();
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      await subscriber.subscribe(name);
    }
    set.add(handler);
    return {
      close: async () => {
        set.delete(handler);
        if (set.size === 0 && this.handlers.get(name) === set) {
          this.handlers.delete(name);
          await subscriber.unsubscribe(name).catch(() => undefined);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    this.subscriber?.disconnect();
    this.publisher.disconnect();
  }
}
