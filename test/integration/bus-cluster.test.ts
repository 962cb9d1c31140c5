import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openBus } from '../../src/bus/index.js';
import { subscribeWithoutGaps } from '../../src/bus/resume.js';
import type { Bus } from '../../src/bus/types.js';
import type { RedisBus } from '../../src/bus/redis.js';
import type { EruEvent } from '../../src/contract/events.js';
import { CoreProcess } from '../../harness/core.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { RedisCluster } from '../../harness/redis-cluster.js';
import { dockerEndpoint, etcdAddress, eventually, uniqueSuffix } from '../../harness/services.js';
import { busConformance } from '../support/bus-conformance.js';

/**
 * The bus on a Redis Cluster (three masters on loopback), and subscribers that miss nothing: the
 * leader relays the store's event log to the bus in order, each message names the one before it on
 * its channel, and a subscriber that lost some (its node died under it) replays them from the log.
 */
let cluster: RedisCluster | undefined;
const started = (async () => (cluster = await RedisCluster.start(3)))();
after(async () => {
  await started.catch(() => undefined);
  await cluster?.stop();
});

busConformance('redis cluster', async () => openBus((await started).url));

describe('subscribers of a Redis Cluster bus that miss nothing', () => {
  const pod = `rc-${uniqueSuffix()}`;
  const cores: CoreProcess[] = [];
  const buses: Bus[] = [];

  before(async () => {
    const { url } = await started;
    for (let i = 0; i < 2; i++) cores.push(await CoreProcess.start(`etcd://${etcdAddress()}`, ['--bus', url]));
  });
  after(async () => {
    for (const bus of buses) await bus.close();
    await removePodContainers(testDocker(), pod);
    await cores[0]?.api('DELETE', `/v1/pods/${pod}`).catch(() => undefined);
    for (const core of cores) await core.stop();
  });

  /** A subscriber of the pod's channel that replays what it missed through core 1; what it got, and each catch-up. */
  const subscriber = async (drop: (n: number) => boolean = () => false): Promise<{ bus: RedisBus; got: EruEvent[]; catchUps: Array<{ from: string; replayed: number; error?: unknown }>; close: () => Promise<void> }> => {
    const bus = openBus((await started).url) as RedisBus;
    buses.push(bus);
    let n = 0;
    // A bus that loses the messages `drop` picks, as a connection that moved between nodes does.
    const lossy: Bus = { ...bus, description: bus.description, publish: (e) => bus.publish(e), ready: () => bus.ready(), close: () => bus.close(), subscribe: (channel, handler) => bus.subscribe(channel, (e) => (drop(++n) ? undefined : handler(e))) };
    const got: EruEvent[] = [];
    const catchUps: Array<{ from: string; replayed: number; error?: unknown }> = [];
    const subscription = await subscribeWithoutGaps(lossy, { kind: 'pod', pod }, (since) => cores[1]!.client.events({ pod, since, live: 'false' }), (e) => got.push(e), (c) => catchUps.push(c));
    const close = async (): Promise<void> => {
      await subscription.close();
      await bus.close();
      buses.splice(buses.indexOf(bus), 1);
    };
    return { bus, got, catchUps, close };
  };

  /** The pod's events as the log holds them, from `first` to the event with id `lastId`. */
  const logged = async (first: EruEvent, lastId: string): Promise<EruEvent[]> => {
    const events: EruEvent[] = [];
    for await (const e of cores[1]!.client.events({ pod, since: `${first.revision! - 1}` })) {
      events.push(e);
      if (e.id === lastId) break;
    }
    return events;
  };

  it('a subscriber that loses every third message, and the last, still gets every event once, in order, by replaying from the log', async () => {
    // The 13th and last is lost too: nothing after it shows the gap, so it comes back once the bus has been quiet a while.
    const sub = await subscriber((n) => n % 3 === 0 || n === 13);
    assert.equal((await cores[0]!.api('POST', '/v1/pods', { name: pod })).status, 201);
    for (let i = 0; i < 12; i++) assert.equal((await cores[i % 2]!.api('PATCH', `/v1/pods/${pod}`, { description: `update ${i}` })).status, 200);
    await eventually(async () => sub.got.filter((e) => e.type === 'pod.updated').length === 12, 30_000, 'the twelve updates');
    const log = await logged(sub.got[0]!, sub.got.at(-1)!.id);
    assert.deepEqual(sub.got.map((e) => e.id), log.map((e) => e.id), 'the same events as the log, each once');
    const replayed = sub.catchUps.reduce((sum, c) => sum + c.replayed, 0);
    console.log(`lossy subscriber: ${sub.got.length} events, ${sub.catchUps.length} catch-ups replayed ${replayed}`);
    assert.ok(replayed >= 3, `what the bus lost came back from the log: ${JSON.stringify(sub.catchUps)}`);
    await sub.close();
  });

  it('the master a subscriber is on SIGKILLed during a deploy storm: no event lost, none twice', async () => {
    const node = `rcnode-${uniqueSuffix().slice(-6)}`;
    assert.equal((await cores[0]!.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint() })).status, 201);
    const c = (await started)!;
    const sub = await subscriber();
    // The node the bus says its subscriber is on, and Redis agrees: a connection of that name is subscribed there.
    const subscribedOn = c.ports.findIndex((port) => sub.bus.subscriberNode() === `127.0.0.1:${port}`);
    assert.ok(subscribedOn >= 0, `the subscriber is on one of the cluster's nodes: ${sub.bus.subscriberNode()}`);
    await eventually(async () => ((await c.subscribersNamed('eru-bus-subscriber'))[subscribedOn] ?? 0) > 0, 10_000, `a subscribed connection on node ${subscribedOn}`);
    // Two clients deploy and remove without pause (bounded: 8 rounds each); the subscriber's node dies two seconds in.
    let stop = false;
    const storm = async (core: CoreProcess, entry: string): Promise<number> => {
      let done = 0;
      for (let round = 0; round < 8 && !stop; round++) {
        const deployed = await core.client.collect<{ type: string; ok?: boolean; workloads?: Array<{ id: string }> }>('POST', '/v1/workloads', { pod, app: 'storm', entry, image: BASE_IMAGE, command: ['sleep', '300'], cpu: 0.01, count: 2 });
        const result = deployed.events.find((e) => e.type === 'result');
        assert.ok(result?.ok, JSON.stringify(deployed));
        for (const w of result.workloads ?? []) assert.equal((await core.api('DELETE', `/v1/workloads/${w.id}`)).status, 200);
        done++;
      }
      return done;
    };
    const before = sub.got.length;
    const storms = Promise.all([storm(cores[0]!, 'a'), storm(cores[1]!, 'b')]);
    await new Promise((r) => setTimeout(r, 2000));
    const atKill = sub.got.length;
    await c.kill(subscribedOn);
    const rounds = await storms.finally(() => (stop = true));
    // One more change, so a loss at the very end shows too (a subscriber learns of a gap at the next message).
    assert.equal((await cores[0]!.api('PATCH', `/v1/pods/${pod}`, { description: 'after the storm' })).status, 200);
    await eventually(async () => sub.got.at(-1)?.type === 'pod.updated', 30_000, 'the last update');
    const log = await logged(sub.got[0]!, sub.got.at(-1)!.id);
    const replayed = sub.catchUps.reduce((sum, c) => sum + c.replayed, 0);
    console.log(`storm: ${rounds.join(' + ')} rounds, ${sub.got.length - before} events (${atKill - before} before the kill of node ${subscribedOn}), ${sub.catchUps.length} catch-ups replayed ${replayed}; subscriber now on ${sub.bus.subscriberNode()}`);
    assert.notEqual(sub.bus.subscriberNode(), `127.0.0.1:${c.ports[subscribedOn]}`, 'the subscriber moved off the killed node');
    const movedTo = c.ports.findIndex((port) => sub.bus.subscriberNode() === `127.0.0.1:${port}`);
    assert.ok(((await c.subscribersNamed('eru-bus-subscriber'))[movedTo] ?? 0) > 0, 'and is subscribed where it moved');
    assert.ok(atKill - before > 0 && sub.got.length - atKill > 10, 'the kill fell inside the storm');
    assert.deepEqual(sub.got.map((e) => e.id), log.map((e) => e.id), 'the same events as the log, each once');
  });
});
