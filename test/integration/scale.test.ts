import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EruClient } from 'eru-client';
import type { NodeView } from '../../src/contract/nodes.js';
import type { Workload } from '../../src/model/workload.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, etcdAddress, uniqueSuffix } from '../../harness/services.js';

/**
 * What a large cluster needs of the control plane (issue 24), on real parts: lists read a page at a
 * time, a deploy larger than one etcd transaction, and the simulated engine that bench:c1m measures
 * with — taken only by a core that allows it.
 */

/** Every page of a list, following the Eru-Continue header: the pages' sizes and the items. */
async function pages<T>(core: CoreProcess, path: string): Promise<{ sizes: number[]; items: T[] }> {
  const sizes: number[] = [];
  const items: T[] = [];
  let next: string | null = null;
  do {
    const url: string = `${core.url}${path}${next ? `&continue=${next}` : ''}`;
    const response: Response = await fetch(url, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(response.status, 200, await response.clone().text());
    const page = (await response.json()) as T[];
    sizes.push(page.length);
    items.push(...page);
    next = response.headers.get('eru-continue');
  } while (next);
  return { sizes, items };
}

describe('a deploy larger than one etcd transaction, and workloads listed a page at a time', () => {
  const pod = `scale-${uniqueSuffix()}`;
  const node = `scale-n-${uniqueSuffix().slice(-6)}`;
  const docker = testDocker();
  let core: CoreProcess;

  before(async () => {
    core = await CoreProcess.start(`etcd://${etcdAddress()}`);
    assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 })).status, 201);
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0', '1'], memory: 8 * 1024 ** 3 })).status, 201);
  });
  after(async () => {
    await removePodContainers(docker, pod);
    for (const w of (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body ?? []) await core.api('DELETE', `/v1/workloads/${w.id}`);
    await core.api('DELETE', `/v1/nodes/${node}`);
    await core.api('DELETE', `/v1/pods/${pod}`);
    await core.stop();
  });

  it("70 instances in one deploy — 140 records and statuses, more writes than one etcd transaction holds (128) — all made, counted on the ledger once each, and eru check clean", async () => {
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'many', '--entry', 'web', '--image', BASE_IMAGE, '--count', '70', '--cpu', '0.01', '--memory', '8MiB', '--', 'sleep', '3600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const recorded = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=many`)).body;
    assert.equal(recorded.length, 70);
    assert.equal((await eruContainers(docker, pod)).filter((c) => c.State === 'running').length, 70, 'every container Docker has is running');
    // Each record whole again on read, its shared spec joined: the command and the image are there.
    assert.deepEqual([...new Set(recorded.map((w) => `${w.image} ${w.command.join(' ')}`))], [`${BASE_IMAGE} sleep 3600`]);
    const services = (await core.api<Array<{ app: string; pod: string; instances: number }>>('GET', '/v1/services')).body.filter((s) => s.pod === pod);
    assert.deepEqual(services.map((s) => [s.app, s.instances]), [['many', 70]], 'the service counts its instances from the ledger');
    const check = await core.eru(['check', '--pod', pod, '--json']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.ok(Object.values((JSON.parse(check.stdout) as { counts: Record<string, number> }).counts).every((n) => n === 0), check.stdout);
  });

  it('GET /v1/workloads pages: at most limit each, every workload once and in id order; an app reads its own range; a bad page is a 400 naming its field', async () => {
    const other = await core.client.collect<{ type: string; revision?: number; ok?: boolean }>('POST', '/v1/workloads', { pod, app: 'aaother', image: BASE_IMAGE, count: 2, cpu: 0.01, memory: 8 * 1024 ** 2, command: ['sleep', '3600'] });
    assert.ok(other.events.find((e) => e.type === 'result')?.ok, JSON.stringify(other));
    // The history replayed a page at a time too: at most `limit` events after `since`.
    const since = other.events.find((e) => e.type === 'planned')!.revision! - 1;
    const replay = await fetch(`${core.url}/v1/events?pod=${pod}&since=${since}&live=false&limit=3`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal((await replay.text()).trim().split('\n').length, 3);
    const unpaged = await core.api<{ path: string }>('GET', `/v1/events?pod=${pod}&limit=3`);
    assert.deepEqual([unpaged.status, unpaged.body.path], [400, 'query.limit']);
    const all = await pages<Workload>(core, `/v1/workloads?pod=${pod}&limit=10`);
    assert.deepEqual(all.sizes, [10, 10, 10, 10, 10, 10, 10, 2]);
    const ids = all.items.map((w) => w.id);
    assert.equal(new Set(ids).size, 72);
    assert.deepEqual(ids, [...ids].sort());
    const many = await pages<Workload>(core, `/v1/workloads?app=many&limit=20`);
    assert.deepEqual(many.sizes, [20, 20, 20, 10]);
    assert.ok(many.items.every((w) => w.app === 'many'));
    // The client follows the pages by itself.
    assert.equal((await core.client.workloads.list({ pod, limit: 4 })).length, 72);
    // Services page the same way (by pod, app, entry), their instances counted from the ledgers.
    const services = await pages<{ pod: string; app: string; instances: number }>(core, '/v1/services?limit=1');
    assert.ok(services.sizes.length >= 2 && services.sizes.every((n) => n === 1), `pages of ${services.sizes.join(', ')}`);
    assert.deepEqual(services.items.filter((s) => s.pod === pod).map((s) => [s.app, s.instances]), [['aaother', 2], ['many', 70]]);
    assert.deepEqual((await core.client.services.list()).filter((s) => s.pod === pod).map((s) => s.app), ['aaother', 'many']);
    const badToken = await core.api<{ code: string; path: string }>('GET', `/v1/workloads?pod=${pod}&continue=not%20a%20token`);
    assert.deepEqual([badToken.status, badToken.body.code, badToken.body.path], [400, 'INVALID_ARGUMENT', 'query.continue']);
    const tooMany = await core.api<{ path: string }>('GET', `/v1/workloads?limit=10001`);
    assert.deepEqual([tooMany.status, tooMany.body.path], [400, 'query.limit']);
  });
});

describe('simulated engines (sim://): only for a core started with --allow-simulated', () => {
  const pod = `sim-${uniqueSuffix()}`;
  let plain: CoreProcess;
  let simulated: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    dir = await tempDir('eru-sim-');
    plain = await CoreProcess.start(`embedded:${dir.path}/plain.db`);
    simulated = await CoreProcess.start(`embedded:${dir.path}/sim.db`, ['--allow-simulated']);
    for (const core of [plain, simulated]) assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 10 })).status, 201);
  });
  after(async () => {
    await plain?.stop();
    await simulated?.stop();
    await dir?.remove();
  });

  it('a core without --allow-simulated refuses a sim:// node, saying so; with it, 300 instances land on 3 simulated nodes of 48 cores and page through the node list', async () => {
    const refused = await plain.api<{ code: string; path: string; message: string }>('POST', `/v1/pods/${pod}/nodes`, { name: 'sim-a', endpoint: 'sim://sim-a?cores=48&memory=192GiB' });
    assert.deepEqual([refused.status, refused.body.code, refused.body.path], [400, 'INVALID_ARGUMENT', 'endpoint']);
    assert.match(refused.body.message, /--allow-simulated/);
    for (const name of ['sim-a', 'sim-b', 'sim-c']) {
      const added = await simulated.api<NodeView>('POST', `/v1/pods/${pod}/nodes`, { name, endpoint: `sim://${name}?cores=48&memory=192GiB` });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      assert.equal(added.body.cpuMap.length, 48);
    }
    const deployed = await simulated.client.deploy({ pod, app: 'simapp', image: 'sim/app:1', count: 300, cpu: 0.1 });
    assert.ok(deployed.ok, JSON.stringify(deployed));
    const spread = (await simulated.client.workloads.list({ pod })).reduce((counts, w) => counts.set(w.node, (counts.get(w.node) ?? 0) + 1), new Map<string, number>());
    assert.deepEqual([...spread.values()], [100, 100, 100], 'AUTO spreads by the counts the ledgers keep');
    const nodes = await pages<NodeView>(simulated, `/v1/pods/${pod}/nodes?limit=2`);
    assert.deepEqual(nodes.sizes, [2, 1]);
    // Their agents report (as bench:c1m's simulated agents do): the check then takes the nodes, but not their containers.
    for (const name of ['sim-a', 'sim-b', 'sim-c']) {
      const { token } = await simulated.client.nodes.issueToken(name);
      await new EruClient({ url: simulated.url, token }).agent.heartbeat(name, { containers: 100 });
    }
    const check = await simulated.eru(['check', '--pod', pod, '--json']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const report = JSON.parse(check.stdout) as { counts: Record<string, number>; skipped: Record<string, string>; nodes: string[] };
    assert.deepEqual(report.nodes.sort(), ['sim-a', 'sim-b', 'sim-c'], 'their ledgers, holders and counts are checked');
    assert.ok(Object.values(report.counts).every((n) => n === 0), check.stdout);
    assert.match(report.skipped['simulated nodes'] ?? '', /3 on simulated engines/);
  });
});
