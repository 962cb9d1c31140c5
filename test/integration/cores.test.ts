import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CoreView } from '../../src/contract/cores.js';
import type { NodeView } from '../../src/contract/nodes.js';
import { AgentProcess } from '../../harness/agent.js';
import { runEru, spawnEru, type CliResult } from '../../harness/cli.js';
import type { DeployEvent, EruEvent } from '../../src/contract/events.js';
import { EruClient } from 'eru-client';
import { nodeTransport } from 'eru-client/node';
import { CoreProcess, TEST_TOKEN } from '../../harness/core.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { EtcdCluster } from '../../harness/etcd.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/**
 * Three cores on a three-member etcd, clients given all three: a dead core or a dead etcd member
 * changes nothing a client sees; an etcd without its quorum makes the cores say 503 at once (so
 * clients move on, or wait), and they work again when it is back.
 */
describe('several cores on a 3-member etcd, and clients that move on', () => {
  const pod = `cores-${uniqueSuffix()}`;
  const node = `cores-${uniqueSuffix().slice(-6)}`;
  let etcd: EtcdCluster;
  const cores: CoreProcess[] = [];
  let agent: AgentProcess | undefined;
  const allUrls = (): string => cores.map((c) => c.url).join(',');
  const eru = (args: string[], url = allUrls()): Promise<CliResult> => runEru(args, { env: { ERU_URL: url, ERU_TOKEN: TEST_TOKEN } });

  before(async () => {
    etcd = await EtcdCluster.start(3);
    for (let i = 0; i < 3; i++) cores.push(await CoreProcess.start(etcd.url, ['--node-ttl', '3']));
  });
  after(async () => {
    await agent?.stop();
    await removePodContainers(testDocker(), pod);
    for (const core of cores) await core.stop('SIGKILL').catch(() => undefined);
    await etcd?.stop();
  });

  it('GET /v1/cores lists the three with the URLs they advertise, one of them leading', async () => {
    const listed = await eventually(async () => {
      const answer = (await cores[1]!.api<CoreView[]>('GET', '/v1/cores')).body;
      return answer.length === 3 && answer.filter((c) => c.leader).length === 1 ? answer : null;
    }, 15_000, 'three cores, one leader');
    assert.deepEqual(listed.map((c) => c.url).sort(), cores.map((c) => c.url).sort());
    assert.equal(listed.filter((c) => c.self).length, 1);
  });

  it('with the first core SIGKILLed, every command works through the others; an agent given one core learns the rest and keeps its node up when that one dies', async () => {
    await cores[0]!.stop('SIGKILL');
    for (const args of [['pod', 'add', pod], ['pod', 'ls'], ['node', 'add', pod, node, '--endpoint', dockerEndpoint()], ['node', 'ls', pod]]) {
      const run = await eru(args);
      assert.equal(run.code, 0, `eru ${args.join(' ')}: ${run.stderr}`);
    }
    const token = (await cores[1]!.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    // The agent is given core 1 alone; it learns core 2 from its heartbeats' answers.
    agent = new AgentProcess(cores[1]!.url, node, token, dockerEndpoint());
    agent.start();
    const deployed = await eru(['deploy', '--pod', pod, '--app', 'corestest', '--image', BASE_IMAGE, '--count', '1', '--cpu', '0.1', '--', 'sleep', '3600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const ps = await eru(['--json', 'ps', '--pod', pod]);
    assert.equal((JSON.parse(ps.stdout) as unknown[]).length, 1, ps.stderr);
    await eventually(async () => (await cores[2]!.api<NodeView>('GET', `/v1/nodes/${node}`)).body.liveness.state === 'up', 15_000, 'the node up');
    await cores[1]!.stop('SIGKILL');
    // Longer than the node TTL (3 s): heartbeats that found no core would have it marked down.
    await new Promise((r) => setTimeout(r, 8000));
    const seen = (await cores[2]!.api<NodeView>('GET', `/v1/nodes/${node}`)).body;
    assert.equal(seen.liveness.state, 'up', `the agent moved on to core 2: ${JSON.stringify(seen.liveness)}\n${agent.log.slice(-2000)}`);
    const rm = await eru(['rm', (JSON.parse(ps.stdout) as Array<{ id: string }>)[0]!.id]);
    assert.equal(rm.code, 0, rm.stderr);
    await cores[0]!.start();
    await cores[1]!.start();
  });

  it('one etcd member SIGKILLed: nothing changes; two: /healthz and calls answer 503 within seconds; one back: they work again', async () => {
    await etcd.kill(0);
    const one = await eru(['pod', 'ls']);
    assert.equal(one.code, 0, one.stderr);
    assert.equal((await cores[2]!.api('GET', '/healthz', undefined, null)).status, 200);
    await etcd.kill(1);
    const started = Date.now();
    const health = await cores[2]!.api<{ message: string }>('GET', '/healthz', undefined, null);
    const pods = await cores[2]!.api<{ code: string }>('GET', '/v1/pods');
    const took = Date.now() - started;
    console.log(`without its quorum: /healthz ${health.status}, GET /v1/pods ${pods.status} (${pods.body.code}), both in ${took} ms`);
    assert.deepEqual([health.status, pods.status, pods.body.code], [503, 503, 'STORE_UNAVAILABLE']);
    assert.match(health.body.message, /the store does not answer/);
    assert.ok(took < 12_000, `answered in ${took} ms`);
    etcd.restart(0);
    await eventually(async () => (await cores[2]!.api('GET', '/healthz', undefined, null)).status === 200, 60_000, 'the core healthy again with its quorum back');
    const again = await eru(['pod', 'ls']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, new RegExp(pod));
  });

  it('eru watch given the three cores outlives a SIGKILL of the one it watches through: every event once, none missed, in the store\'s order', async () => {
    await eventually(async () => (await Promise.all(cores.map(async (c) => (await c.api('GET', '/healthz', undefined, null).catch(() => ({ status: 0 }))).status))).every((s) => s === 200), 60_000, 'all three cores healthy');
    const prefix = `w${uniqueSuffix().slice(-5)}`;
    // The watch's first URL is core 0: it watches through that one until it dies.
    const watch = spawnEru(['--json', 'watch', '--type', 'pod'], { ERU_URL: allUrls(), ERU_TOKEN: TEST_TOKEN });
    let out = '';
    let err = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watch.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const printed = (): EruEvent[] => out.split('\n').filter(Boolean).map((line) => JSON.parse(line) as EruEvent).filter((e) => e.pod?.startsWith(prefix));
    try {
      await eventually(async () => err.includes('watching'), 10_000, 'the watch open');
      // Changes made through core 1 without pause; core 0 is SIGKILLed a third of the way through.
      const names = Array.from({ length: 30 }, (_, i) => `${prefix}-${i}`);
      for (const [i, name] of names.entries()) {
        if (i === 10) await cores[0]!.stop('SIGKILL');
        assert.equal((await cores[1]!.api('POST', '/v1/pods', { name })).status, 201);
      }
      await eventually(async () => printed().length >= 30, 30_000, `thirty pod.created events printed (${printed().length} so far)\n${err}`);
      await new Promise((r) => setTimeout(r, 1000));
      const seen = printed();
      assert.match(err, /was cut; resuming[\s\S]*resumed on http/, 'it said it moved on');
      assert.deepEqual(seen.map((e) => e.pod), names, 'each pod once, in the order made');
      // Checked against the log itself: a replay from before the first gives the same events at the same positions.
      const first = seen[0]!;
      const replay = cores[2]!.client.events({ type: 'pod', since: `${first.revision! - 1}` })[Symbol.asyncIterator]();
      const logged: EruEvent[] = [];
      while (logged.length < 30) {
        const next = (await replay.next()).value as EruEvent;
        if (next.pod?.startsWith(prefix)) logged.push(next);
      }
      await replay.return(undefined);
      assert.deepEqual(seen.map((e) => [e.id, e.revision, e.index]), logged.map((e) => [e.id, e.revision, e.index]));
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.revision! > seen[i - 1]!.revision!, 'positions only go up');
    } finally {
      watch.kill();
      await cores[0]!.start();
      for (let i = 0; i < 30; i++) await cores[1]!.api('DELETE', `/v1/pods/${prefix}-${i}`);
    }
  });

  it('a deploy whose core is SIGKILLed once it is under way: the client follows its intent on another core to its end, and nothing of it is left', async () => {
    const client = new EruClient({ url: allUrls(), token: TEST_TOKEN, transport: nodeTransport() });
    await eventually(async () => (await cores[0]!.api('GET', '/healthz', undefined, null).catch(() => ({ status: 0 }))).status === 200, 30_000, 'core 0 up');
    const seen: DeployEvent[] = [];
    const result = await client.deploy({ pod, app: 'followed', entry: 'web', image: BASE_IMAGE, command: ['sleep', '3600'], count: 3, cpu: 0.1 }, (event) => {
      seen.push(event);
      if (event.type === 'planned') void cores[0]!.stop('SIGKILL');
    });
    const planned = seen.find((e): e is Extract<DeployEvent, { type: 'planned' }> => e.type === 'planned')!;
    console.log(`followed deploy ${planned.intent}: ${seen.map((e) => e.type).join(' ')}; ${result.ok ? 'ok' : result.error.message}`);
    assert.ok(seen.some((e) => e.type === 'note' && /was cut/.test(e.message)), 'the client said it followed the deploy elsewhere');
    const ids = planned.workloads.map((w) => w.id).sort();
    const recorded = (await client.workloads.list({ app: 'followed' })).map((w) => w.id).sort();
    const containers = (await testDocker().listContainers({ all: true, filters: JSON.stringify({ label: ['eru.app=followed'] }) })).filter((c) => c.State === 'running');
    if (result.ok) {
      // The kill came after the deploy was recorded: what the client was told is what runs.
      assert.deepEqual(result.workloads.map((w) => w.id).sort(), ids);
      assert.deepEqual(recorded, ids);
      assert.equal(containers.length, 3);
      for (const id of ids) assert.equal((await client.workloads.remove(id)).id, id);
    } else {
      // Before: another core rolled it back, and said so to whoever follows it.
      assert.match(result.error.message, /the core doing it \(.+\) died; .+ rolled it back/);
      assert.deepEqual(recorded, [], 'no record left');
      assert.deepEqual(containers.map((c) => c.Names), [], 'no container left');
    }
    await cores[0]!.start();
  });

  it('a replace whose core is SIGKILLed once its rollout began: the client follows the rollout on another core to its end; the service runs what it ran before', async () => {
    const client = new EruClient({ url: allUrls(), token: TEST_TOKEN, transport: nodeTransport() });
    await eventually(async () => (await cores[0]!.api('GET', '/healthz', undefined, null).catch(() => ({ status: 0 }))).status === 200, 30_000, 'core 0 up');
    const tag = `follow-${uniqueSuffix().slice(-6)}`;
    const retagged = `local/busybox:${tag}`;
    await testDocker().getImage(BASE_IMAGE).tag({ repo: 'local/busybox', tag });
    try {
      const deployed = await client.deploy({ pod, app: 'rfollow', entry: 'web', image: BASE_IMAGE, command: ['sleep', '3600'], count: 2, cpu: 0.1 });
      assert.ok(deployed.ok, JSON.stringify(deployed));
      const seen: DeployEvent[] = [];
      const result = await client.services.replace('rfollow', 'web', { pod, image: retagged }, (event) => {
        seen.push(event);
        if (event.type === 'rollout') void cores[0]!.stop('SIGKILL');
      });
      const rollout = seen.find((e): e is Extract<DeployEvent, { type: 'rollout' }> => e.type === 'rollout')!;
      console.log(`followed rollout ${rollout.number}: ${seen.map((e) => e.type).join(' ')}; ${result.ok ? 'ok' : result.error.message}`);
      assert.ok(seen.some((e) => e.type === 'note' && /was cut/.test(e.message)), 'the client said it followed the rollout elsewhere');
      const record = (await client.services.rollouts('rfollow', 'web', pod)).find((r) => r.number === rollout.number)!;
      const images = (await client.workloads.list({ app: 'rfollow', pod })).map((w) => w.image);
      if (result.ok) {
        assert.equal(record.outcome, 'done');
        assert.deepEqual(images, [retagged, retagged]);
      } else {
        assert.match(result.error.message, new RegExp(`rollout ${rollout.number} of rfollow/web rolled back: .*the core doing it \\(.+\\) died`));
        assert.equal(record.outcome, 'rolled back');
        assert.deepEqual(images, [BASE_IMAGE, BASE_IMAGE], 'back on what it ran');
      }
      await client.services.scale('rfollow', 'web', { pod, count: 0 });
    } finally {
      await cores[0]!.start();
      await testDocker().getImage(retagged).remove().catch(() => undefined);
    }
  });
});
