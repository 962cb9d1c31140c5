import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Credentials } from '../lib/credentials.js';
import { EruEventSchema, type EruEvent } from '../contract/events.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { ChannelChain } from './chain.js';
import { channelName, type Bus, type Channel, type Subscription } from './types.js';

type Connection = Redis | Cluster;

/**
 * The bus of a cluster: Redis pub/sub, on one Redis (`redis://`) or a Redis Cluster
 * (`redis-cluster://A,B,C`: any of its nodes to start from; a publish reaches subscribers on every
 * node, and a subscriber whose node dies moves to another). One connection publishes (each event on
 * its channels in one MULTI, so subscribers of any channel see events in publish order); one in
 * subscribe mode fans messages out to this process's handlers. Each message names the one before it
 * on its channel (chain.ts), so a subscriber that lost some while its connection moved can tell.
 */
export class RedisBus implements Bus {
  readonly description: string;
  private readonly publisher: Connection;
  private subscriber: Connection | undefined;
  private readonly handlers = new Map<string, Set<(event: EruEvent) => void>>();
  private readonly chain = new ChannelChain();
  private readonly open: (role: 'publisher' | 'subscriber') => Connection;

  /** `rediss://` (and `rediss-cluster://`) is TLS, the server checked against `credentials.ca` (else the system's CAs). */
  constructor(
    readonly url: string,
    credentials: Credentials = {},
  ) {
    this.description = url;
    const options: RedisOptions = {
      lazyConnect: true,
      ...(credentials.user ? { username: credentials.user } : {}),
      ...(credentials.password ? { password: credentials.password } : {}),
      ...(/^rediss(-cluster)?:/.test(url)
        ? { tls: { ...(credentials.ca ? { ca: credentials.ca } : {}), ...(credentials.cert && credentials.key ? { cert: credentials.cert, key: credentials.key } : {}) } }
        : {}),
    };
    const cluster = /^rediss?-cluster:\/\/(.+)$/.exec(url);
    if (cluster) {
      const nodes = cluster[1]!.split(',').map((hostPort) => {
        const [host, port] = hostPort.split(':');
        return { host: host!, port: Number(port ?? 6379) };
      });
      this.open = (role) =>
        new Cluster(nodes, {
          lazyConnect: true,
          redisOptions: role === 'publisher' ? { ...options, maxRetriesPerRequest: 3 } : options,
          // A node that died: ask the others for the slots again soon, and retry on the new owner.
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
        });
    } else {
      this.open = (role) => new Redis(url, role === 'publisher' ? { ...options, maxRetriesPerRequest: 3 } : options);
    }
    this.publisher = this.open('publisher');
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
      const { messages, sent } = this.chain.prepare(event);
      const multi = this.publisher.multi();
      for (const [channel, message] of messages) multi.publish(channel, JSON.stringify(message));
      const results = await multi.exec();
      const failed = results?.find(([error]) => error !== null)?.[0];
      if (!results || failed) throw failed ?? new Error('the publish was not carried out');
      sent();
    } catch (error) {
      throw new EruError(ErrorCode.BUS_UNAVAILABLE, `bus ${this.url}: ${(error as Error).message}`);
    }
  }

  private async connection(): Promise<Connection> {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.open('subscriber');
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
