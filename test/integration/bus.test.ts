import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openBus } from '../../src/bus/index.js';
import { subscribeWithoutGaps } from '../../src/bus/resume.js';
import type { Bus } from '../../src/bus/types.js';
import type { EruEvent } from '../../src/contract/events.js';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { ManagedProcess } from '../../harness/process.js';
import { eventually, redisUrl, uniqueSuffix } from '../../harness/services.js';
import { busConformance } from '../support/bus-conformance.js';

busConformance('memory', async () => openBus('memory'));
busConformance('redis', async () => openBus(redisUrl()));

/**
 * A core whose Redis is down keeps working: its events wait in the store's log and reach the bus,
 * in order, once Redis is back; a subscriber gets each once.
 */
describe('a core whose bus is down', () => {
  let port: number;
  let redis: ManagedProcess;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let bus: Bus;
  /** Waits until a connection to it answers (each probe closed, so none keeps reconnecting). */
  const redisAnswers = (what: string): Promise<true> =>
    eventually(
      async () => {
        const probe = openBus(`redis://127.0.0.1:${port}`);
        return probe.ready().then(() => true as const, () => false as const).finally(() => void probe.close());
      },
      10_000,
      what,
    );
  const startRedis = (): ManagedProcess => new ManagedProcess('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], 10_000).start();

  before(async () => {
    port = await freePort();
    redis = startRedis();
    await redisAnswers('redis up');
    dir = await tempDir('eru-busdown-');
    // A backlog of two: the five events made while Redis is down overflow it, and are read from the log again.
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--bus', `redis://127.0.0.1:${port}`, '--bus-backlog', '2']);
  });
  after(async () => {
    await bus?.close();
    await core?.stop();
    await redis?.stop('SIGKILL');
    await dir?.remove();
  });

  it('changes made while Redis is SIGKILLed answer at once; once it is back their events reach a subscriber in order, each once', async () => {
    const pod = `bd-${uniqueSuffix()}`;
    bus = openBus(`redis://127.0.0.1:${port}`);
    const got: EruEvent[] = [];
    const subscription = await subscribeWithoutGaps(bus, { kind: 'pod', pod }, (since) => core.client.events({ pod, since, live: 'false' }), (e) => got.push(e));
    assert.equal((await core.api('POST', '/v1/pods', { name: pod })).status, 201);
    for (let i = 0; i < 3; i++) assert.equal((await core.api('PATCH', `/v1/pods/${pod}`, { description: `u${i}` })).status, 200);
    await eventually(async () => got.length === 4, 10_000, 'the first four events');
    await redis.stop('SIGKILL');
    const slowest = { ms: 0 };
    for (let i = 3; i < 8; i++) {
      const started = performance.now();
      assert.equal((await core.api('PATCH', `/v1/pods/${pod}`, { description: `u${i}` })).status, 200);
      slowest.ms = Math.max(slowest.ms, performance.now() - started);
    }
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(got.length, 4, 'nothing reached the bus while it was down');
    redis = startRedis();
    // No change after it is back: a subscriber whose connection came back after the relay had sent the
    // waiting events learns of them from the log once the bus has been quiet a while.
    await redisAnswers('redis back');
    await eventually(async () => got.length >= 9, 30_000, `the five events made meanwhile (${got.length - 4} so far)`);
    // The relay itself goes on (its backlog of two overflowed, so it read the log again): a plain
    // subscriber, which replays nothing, hears the next change on the bus.
    const plain: EruEvent[] = [];
    const plainSubscription = await bus.subscribe({ kind: 'pod', pod }, (e) => plain.push(e));
    assert.equal((await core.api('PATCH', `/v1/pods/${pod}`, { description: 'u8' })).status, 200);
    await eventually(async () => got.length >= 10, 10_000, 'the one after');
    await eventually(async () => plain.some((e) => e.id === got[9]!.id), 10_000, 'the one after, on the bus itself');
    await plainSubscription.close();
    await new Promise((r) => setTimeout(r, 500));
    console.log(`bus down: 5 changes answered, the slowest in ${slowest.ms.toFixed(0)} ms; after it came back the subscriber had ${got.length} events`);
    // The same events as the log holds, in its order.
    const logged: EruEvent[] = [];
    for await (const e of core.client.events({ pod, since: '0' })) if (logged.push(e) === got.length) break;
    assert.deepEqual(got.map((e) => e.id), logged.map((e) => e.id));
    assert.deepEqual(got.map((e) => e.type), ['pod.created', ...Array(9).fill('pod.updated')]);
    const ids = got.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'none twice');
    const positions = got.map((e) => [e.revision!, e.index!] as const);
    for (let i = 1; i < positions.length; i++) assert.ok(positions[i]![0] > positions[i - 1]![0] || (positions[i]![0] === positions[i - 1]![0] && positions[i]![1] > positions[i - 1]![1]), 'in the order of the log');
    await subscription.close();
  });
});
