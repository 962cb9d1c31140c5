import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openBus } from '../../src/bus/index.js';
import type { Bus } from '../../src/bus/types.js';
import type { EruEvent } from '../../src/contract/events.js';
import type { Workload } from '../../src/model/workload.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { deployViaApi, resultOf } from '../../harness/deploy.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, etcdAddress, eventually, redisUrl, uniqueSuffix } from '../../harness/services.js';

const NODE_TTL = 3;

describe('agent, status and the Redis bus', () => {
  const docker = testDocker();
  const pod = `ag-${uniqueSuffix()}`;
  const node = `agent-node-${uniqueSuffix()}`;
  let core: CoreProcess;
  let agent: AgentProcess;
  let bus: Bus;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const events: EruEvent[] = [];

  before(async () => {
    dir = await tempDir('eru-agent-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--bus', redisUrl(), '--node-ttl', String(NODE_TTL)]);
    bus = openBus(redisUrl());
    await bus.subscribe({ kind: 'pod', pod }, (e) => events.push(e));
    assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 10 })).status, 201);
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0', '1'] })).status, 201);
    const token = (await core.eru(['node', 'token', node])).stdout.trim();
    assert.match(token, /^eru-node-[0-9a-f]{48}$/);
    agent = new AgentProcess(core.url, node, token, dockerEndpoint());
    agent.start();
    await eventually(async () => events.some((e) => e.type === 'node.up'), 10_000, 'the node to come up');
  });
  after(async () => {
    await agent?.stop();
    await removePodContainers(docker, pod);
    await bus?.close();
    await core?.stop();
    await dir?.remove();
  });

  async function deployOne(entry: string): Promise<Workload> {
    // Not kept: these tests watch what the agent reports of a container killed or paused behind Eru's back, not the keeper.
    const result = await deployViaApi(core, { pod, app: `app-${entry}`, entry, image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.2, count: 1, keep: false });
    const outcome = resultOf(result.events);
    assert.ok(outcome?.ok, JSON.stringify(result));
    return outcome.workloads[0]!;
  }

  it('an app subscriber sees the start, health turning healthy, the kill behind Eru’s back with its exit code, and the removal — in order, once each', async () => {
    const app = `app-watched`;
    const seen: EruEvent[] = [];
    const subscription = await bus.subscribe({ kind: 'app', app }, (e) => seen.push(e));
    const result = await deployViaApi(core, {
      pod,
      app,
      entry: 'watched',
      image: BASE_IMAGE,
      command: ['sh', '-c', 'sleep 1; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www'],
      cpu: 0.2,
      count: 1,
      healthcheck: { http: { port: 8080, path: '/index.html', code: 200 }, tcpPorts: [8080], intervalSeconds: 1 },
      keep: false,
    });
    const workload = resultOf(result.events)!.ok ? (resultOf(result.events) as { workloads: Workload[] }).workloads[0]! : assert.fail(JSON.stringify(result));
    await eventually(async () => seen.some((e) => e.type === 'workload.status' && e.data.healthy === true), 15_000, 'the healthy status');
    await docker.getContainer(workload.id).kill();
    await eventually(async () => seen.some((e) => e.type === 'workload.status' && e.data.running === false), 10_000, 'the kill');
    assert.equal((await core.eru(['rm', workload.id])).code, 0);
    await eventually(async () => seen.some((e) => e.type === 'workload.removed'), 10_000, 'the removal');
    await new Promise((r) => setTimeout(r, 3000)); // one more full check of the agent: nothing more may come
    await subscription.close();
    const mine = seen.filter((e) => e.workload === workload.id && e.type.startsWith('workload.'));
    assert.deepEqual(
      mine.map((e) => [e.type, e.data.running, e.data.healthy, e.data.exitCode]),
      [
        ['workload.created', undefined, undefined, undefined],
        ['workload.status', true, false, undefined],
        ['workload.status', true, true, undefined],
        ['workload.status', false, false, 137],
        ['workload.removed', undefined, undefined, undefined],
      ],
    );
    const progress = seen.filter((e) => e.type === 'deploy.progress' || e.type === 'deploy.result');
    assert.deepEqual(progress.map((e) => e.type), ['deploy.progress', 'deploy.result']);
  });

  it('a SIGKILLed agent: the node goes down within the TTL, its workloads stop counting as running; back when it returns', async () => {
    const workload = await deployOne('survivor');
    await eventually(async () => events.some((e) => e.workload === workload.id && e.type === 'workload.status' && e.data.running === true), 10_000, 'running');
    const killedAt = Date.now();
    await agent.stop('SIGKILL');
    const down = await eventually(async () => events.find((e) => e.type === 'node.down' && e.node === node), (NODE_TTL + 5) * 1000, 'node.down');
    const took = Date.parse(down.time) - killedAt;
    assert.ok(took <= (NODE_TTL + 2) * 1000, `marked down after ${took} ms`);
    await eventually(
      async () => events.some((e) => e.workload === workload.id && e.type === 'workload.status' && e.data.running === false && /down/.test(String(e.data.reason))),
      5_000,
      'the workload not running',
    );
    const show = await core.eru(['node', 'show', node]);
    assert.match(show.stdout, /agent\s+down since/);
    const refused = await deployViaApi(core, { pod, app: 'late', image: BASE_IMAGE, command: ['true'], cpu: 0.1, count: 1 });
    assert.equal(refused.status, 409);
    assert.match(JSON.stringify(refused.refused), /down: its agent stopped reporting/);

    agent.start();
    await eventually(async () => events.filter((e) => e.type === 'node.up' && e.node === node).length >= 2, 10_000, 'node.up again');
    await eventually(
      async () => events.filter((e) => e.workload === workload.id && e.type === 'workload.status' && e.data.running === true).length >= 2,
      10_000,
      'the workload running again',
    );
    console.log(`marked down ${took} ms after the agent was killed (TTL ${NODE_TTL} s)`);
  });

  it('an agent paused past the TTL (same process): when it is back, every workload it runs reads running again', async () => {
    const workload = await deployOne('paused');
    await eventually(async () => events.some((e) => e.workload === workload.id && e.type === 'workload.status' && e.data.running === true), 10_000, 'running');
    const downs = events.filter((e) => e.type === 'node.down' && e.node === node).length;
    // Past one full check (2 s here): the agent has reported it running itself and has nothing left to send.
    await new Promise((r) => setTimeout(r, 2500));
    process.kill(agent.pid, 'SIGSTOP');
    try {
      await eventually(async () => events.filter((e) => e.type === 'node.down' && e.node === node).length > downs, (NODE_TTL + 5) * 1000, 'node.down');
      await eventually(async () => (await core.api<{ status: { reason?: string } | null }>('GET', `/v1/workloads/${workload.id}`)).body.status?.reason?.includes('down') === true, 5_000, 'the status to say the node is down');
    } finally {
      process.kill(agent.pid, 'SIGCONT');
    }
    // The container never stopped; the agent that remembers reporting it running must say so again.
    await eventually(async () => (await core.api<{ status: { running: boolean } | null }>('GET', `/v1/workloads/${workload.id}`)).body.status?.running === true, 10_000, 'the workload running again');
  });

  it('a node token reports only for its own node and cannot call admin routes', async () => {
    const other = `other-${uniqueSuffix()}`;
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: other, endpoint: dockerEndpoint(), cpus: ['0'] })).status, 201);
    const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    const own = await core.api('POST', `/v1/nodes/${node}/heartbeat`, {}, token);
    assert.equal(own.status, 200);
    const foreign = await core.api<{ code: string }>('POST', `/v1/nodes/${other}/heartbeat`, {}, token);
    assert.deepEqual([foreign.status, foreign.body.code], [403, 'FORBIDDEN']);
    const foreignStatus = await core.api<{ code: string }>('POST', `/v1/nodes/${other}/status`, { workloads: [] }, token);
    assert.equal(foreignStatus.status, 403);
    for (const [method, path] of [['GET', '/v1/pods'], ['POST', `/v1/nodes/${node}/tokens`], ['DELETE', `/v1/nodes/${other}`]] as const) {
      const admin = await core.api<{ code: string }>(method, path, undefined, token);
      assert.deepEqual([admin.status, admin.body.code], [403, 'FORBIDDEN'], `${method} ${path}`);
    }
    assert.equal((await core.api('POST', `/v1/nodes/${node}/heartbeat`, {}, 'eru-node-forged')).status, 401);
    assert.equal((await core.api('DELETE', `/v1/nodes/${other}`)).status, 200);
  });
});

describe('with two cores, exactly one marks a quiet node down', () => {
  it('one node.down event for one lost agent', async () => {
    const pod = `two-${uniqueSuffix()}`;
    const node = `quiet-${uniqueSuffix()}`;
    const args = ['--bus', redisUrl(), '--node-ttl', String(NODE_TTL)];
    const cores = await Promise.all([CoreProcess.start(`etcd://${etcdAddress()}`, args), CoreProcess.start(`etcd://${etcdAddress()}`, args)]);
    const bus = openBus(redisUrl());
    const events: EruEvent[] = [];
    await bus.subscribe({ kind: 'pod', pod }, (e) => events.push(e));
    try {
      await cores[0]!.api('POST', '/v1/pods', { name: pod });
      await cores[0]!.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0'] });
      const token = (await cores[1]!.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
      // Heartbeats land on both cores in turn, then stop.
      for (let i = 0; i < 4; i++) assert.equal((await cores[i % 2]!.api('POST', `/v1/nodes/${node}/heartbeat`, {}, token)).status, 200);
      await eventually(async () => events.some((e) => e.type === 'node.down'), (NODE_TTL + 8) * 1000, 'node.down');
      await new Promise((r) => setTimeout(r, (NODE_TTL + 1) * 1000));
      assert.equal(events.filter((e) => e.type === 'node.down').length, 1);
      assert.equal(events.filter((e) => e.type === 'node.up').length, 1);
    } finally {
      await cores[0]!.api('DELETE', `/v1/nodes/${node}`);
      await cores[0]!.api('DELETE', `/v1/pods/${pod}`);
      await bus.close();
      await Promise.all(cores.map((c) => c.stop()));
    }
  });
});

describe('eru watch', () => {
  it('prints changes as they happen, filtered by pod', async () => {
    const { spawn } = await import('node:child_process');
    const { ERU_BIN } = await import('../../harness/cli.js');
    const { TEST_TOKEN } = await import('../../harness/core.js');
    const dir = await tempDir('eru-watch-');
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    const pod = `w-${uniqueSuffix()}`;
    const watch = spawn(process.execPath, [ERU_BIN, '--url', core.url, '--token', TEST_TOKEN, 'watch', '--pod', pod], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watch.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      await eventually(async () => err.includes('watching'), 10_000, 'the watch to open');
      await core.api('POST', '/v1/pods', { name: 'elsewhere' });
      await core.api('POST', '/v1/pods', { name: pod });
      await core.api('DELETE', `/v1/pods/${pod}`);
      await eventually(async () => out.includes('pod.removed'), 5_000, 'the watch output');
      const lines = out.trim().split('\n');
      assert.equal(lines.length, 2, out);
      assert.match(lines[0]!, new RegExp(`^\\S+Z pod\\.created\\s+pod=${pod} \\{"sharebase":100,"maxshare":-1\\}$`));
      assert.match(lines[1]!, new RegExp(`^\\S+Z pod\\.removed\\s+pod=${pod}$`));
    } finally {
      watch.kill();
      await core.stop();
      await dir.remove();
    }
  });
});
