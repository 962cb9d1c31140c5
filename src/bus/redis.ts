import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Credentials } from '../lib/credentials.js';
import { EruEventSchema, type EruEvent } from '../contract/events.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { ChannelChain } from './chain.js';
import { channelName, type Bus, type Channel, type Subscription } from './types.js';

type Connection = Redis | Cluster;

/**
 * The bus of a cluster: Redis pub/sub, on one Redis (`redis://`) or a Redis Cluster
 * (`redis-cluster://A,B,C`: some of its nodes). Publishes go through one connection (each event on
 * its channels in one MULTI). On a Redis Cluster a message published on one node reaches subscribers
 * on every node over the cluster's links, which keep order only per link, so every publish goes
 * through one node, the next one when that one fails; subscribers use ioredis' cluster subscriber,
 * which moves to another node when its node dies. Each message names the one before it on its
 * channel (chain.ts): a subscriber that lost some while its connection moved can tell (resume.ts).
 */
export class RedisBus implements Bus {
  readonly description: string;
  private publisher: Redis;
  private subscriber: Connection | undefined;
  private readonly handlers = new Map<string, Set<(event: EruEvent) => void>>();
  private readonly chain = new ChannelChain();
  private readonly options: RedisOptions;
  /** A Redis Cluster's nodes as given, and the one publishes go through. */
  private readonly clusterNodes: Array<{ host: string; port: number }> | undefined;
  private pinned = 0;

  /** `rediss://` (and `rediss-cluster://`) is TLS, the server checked against `credentials.ca` (else the system's CAs). */
  constructor(
    readonly url: string,
    credentials: Credentials = {},
  ) {
    this.description = url;
    this.options = {
      lazyConnect: true,
      ...(credentials.user ? { username: credentials.user } : {}),
      ...(credentials.password ? { password: credentials.password } : {}),
      ...(/^rediss(-cluster)?:/.test(url)
        ? { tls: { ...(credentials.ca ? { ca: credentials.ca } : {}), ...(credentials.cert && credentials.key ? { cert: credentials.cert, key: credentials.key } : {}) } }
        : {}),
    };
    const cluster = /^rediss?-cluster:\/\/(.+)$/.exec(url);
    this.clusterNodes = cluster?.[1]!.split(',').map((hostPort) => {
      const [host, port] = hostPort.split(':');
      return { host: host!, port: Number(port) };
    });
    this.publisher = this.openPublisher();
  }

  private openPublisher(): Redis {
    if (!this.clusterNodes) {
      const publisher = new Redis(this.url, { ...this.options, maxRetriesPerRequest: 3 });
      // Its failures surface as failed publishes (the relay holds events and tries again), not as console noise.
      publisher.on('error', () => undefined);
      return publisher;
    }
    // One node, no reconnecting of its own: a failure moves the publisher to the next node instead.
    const publisher = new Redis({ ...this.options, ...this.clusterNodes[this.pinned]!, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    // Its failures surface as failed publishes, which move it on.
    publisher.on('error', () => undefined);
    return publisher;
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

  /** Publishes the event on its channels; on a Redis Cluster, through each node in turn until one takes it. */
  async publish(event: EruEvent): Promise<void> {
    const tries = this.clusterNodes?.length ?? 1;
    for (let tried = 1; ; tried++) {
      try {
        return await this.publishOnce(event);
      } catch (error) {
        if (tried >= tries) throw new EruError(ErrorCode.BUS_UNAVAILABLE, `bus ${this.url}: ${(error as Error).message}`);
        this.publisher.disconnect();
        this.pinned = (this.pinned + 1) % tries;
        this.publisher = this.openPublisher();
      }
    }
  }

  private async publishOnce(event: EruEvent): Promise<void> {
    if (this.publisher.status === 'wait') await this.publisher.connect();
    const { messages, sent } = this.chain.prepare(event);
    const multi = this.publisher.multi();
    for (const [channel, message] of messages) multi.publish(channel, JSON.stringify(message));
    const results = await multi.exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('the publish was not carried out');
    sent();
  }

  private async connection(): Promise<Connection> {
    if (this.subscriber) return this.subscriber;
    const subscriber: Connection = this.clusterNodes ? new Cluster(this.clusterNodes, { lazyConnect: true, redisOptions: this.options }) : new Redis(this.url, this.options);
    // It reconnects (and subscribes again) by itself; a subscriber that must miss nothing uses resume.ts.
    subscriber.on('error', () => undefined);
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
