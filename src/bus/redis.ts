import { Redis, type RedisOptions } from 'ioredis';
import type { Credentials } from '../lib/credentials.js';
import { EruEventSchema, type EruEvent } from '../contract/events.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { ChannelChain, jsonMessages } from './chain.js';
import { channelName, type Bus, type Channel, type Subscription } from './types.js';

/**
 * The bus of a cluster: Redis pub/sub, on one Redis (`redis://`) or a Redis Cluster
 * (`redis-cluster://A,B,C`: some of its nodes). Publishes go through one connection (each event on
 * its channels in one MULTI). On a Redis Cluster a message published on one node reaches subscribers
 * on every node over the cluster's links, which keep order only per link, so every publish goes
 * through one node, the next one when that one fails. Subscribers, too, hold one connection to one
 * node (a classic PUBLISH reaches every node) and move to the next with all their channels when it
 * ends — not ioredis' cluster subscriber, which can pick a new node before its first one subscribed
 * and then carry no channels over. Each message names the one before it on its channel (chain.ts):
 * a subscriber that lost some while its connection moved can tell (resume.ts).
 */
export class RedisBus implements Bus {
  readonly description: string;
  private publisher: Redis;
  private subscriber: Redis | undefined;
  /** The cluster node (index in clusterNodes) the subscriber is on. */
  private subscribedNode = 0;
  private closed = false;
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
  async publish(events: EruEvent | readonly EruEvent[]): Promise<void> {
    const batch: readonly EruEvent[] = Array.isArray(events) ? events : [events as EruEvent];
    const tries = this.clusterNodes?.length ?? 1;
    for (let tried = 1; ; tried++) {
      try {
        return await this.publishOnce(batch);
      } catch (error) {
        if (tried >= tries) throw new EruError(ErrorCode.BUS_UNAVAILABLE, `bus ${this.url}: ${(error as Error).message}`);
        this.publisher.disconnect();
        this.pinned = (this.pinned + 1) % tries;
        this.publisher = this.openPublisher();
      }
    }
  }

  private async publishOnce(events: readonly EruEvent[]): Promise<void> {
    if (this.publisher.status === 'wait') await this.publisher.connect();
    const { messages, sent } = this.chain.prepare(events, jsonMessages());
    const multi = this.publisher.multi();
    for (const [channel, message] of messages) multi.publish(channel, message);
    const results = await multi.exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (!results || failed) throw failed ?? new Error('the publish was not carried out');
    sent();
  }

  private async connection(): Promise<Redis> {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.openSubscriber();
    this.subscriber = subscriber;
    await subscriber.connect().catch((error: unknown) => {
      // On a cluster the connection moves on by itself (see moveSubscriber); one Redis must answer.
      if (!this.clusterNodes) throw error;
    });
    return subscriber;
  }

  /** A subscriber connection: to the one Redis (ioredis reconnects and subscribes again), or to the cluster node it is on. */
  private openSubscriber(): Redis {
    const named = { ...this.options, connectionName: 'eru-bus-subscriber' };
    const subscriber = this.clusterNodes
      ? new Redis({ ...named, ...this.clusterNodes[this.subscribedNode]!, retryStrategy: () => null, connectTimeout: 2000 })
      : new Redis(this.url, named);
    subscriber.on('error', () => undefined);
    subscriber.on('message', (channel: string, message: string) => this.deliver(channel, message));
    if (this.clusterNodes) subscriber.once('end', () => void this.moveSubscriber(subscriber));
    return subscriber;
  }

  /** The cluster subscriber's node ended: the next one takes every channel (after a pause once all were tried). */
  private async moveSubscriber(ended: Redis): Promise<void> {
    if (this.closed || this.subscriber !== ended) return;
    const nodes = this.clusterNodes!.length;
    this.subscribedNode = (this.subscribedNode + 1) % nodes;
    if (this.subscribedNode === 0) await new Promise((resolve) => setTimeout(resolve, 500));
    if (this.closed) return;
    const subscriber = this.openSubscriber();
    this.subscriber = subscriber;
    try {
      await subscriber.connect();
      const channels = [...this.handlers.keys()];
      if (channels.length) await subscriber.subscribe(...channels);
    } catch {
      // Its 'end' moves it on again.
      subscriber.disconnect();
    }
  }

  /** The cluster node a subscriber is on (`host:port`), for operators and tests. */
  subscriberNode(): string | undefined {
    if (!this.clusterNodes || !this.subscriber) return undefined;
    const node = this.clusterNodes[this.subscribedNode]!;
    return `${node.host}:${node.port}`;
  }

  private deliver(channel: string, message: string): void {
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      return; // not one of ours
    }
    const parsed = EruEventSchema.safeParse(json);
    if (!parsed.success) return;
    for (const handler of this.handlers.get(channel) ?? []) {
      try {
        handler(parsed.data);
      } catch {
        // A subscriber's failure is its own.
      }
    }
  }

  async subscribe(channel: Channel, handler: (event: EruEvent) => void): Promise<Subscription> {
    const name = channelName(channel);
    await this.connection();
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      // On a cluster a connection that just ended takes this channel along when it moves.
      await this.subscriber!.subscribe(name).catch((error: unknown) => {
        if (!this.clusterNodes) throw error;
      });
    }
    set.add(handler);
    return {
      close: async () => {
        set.delete(handler);
        if (set.size === 0 && this.handlers.get(name) === set) {
          this.handlers.delete(name);
          await this.subscriber?.unsubscribe(name).catch(() => undefined);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.subscriber?.disconnect();
    this.publisher.disconnect();
  }
}
