import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Workload } from '../../src/model/workload.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { dockerEndpoint, uniqueSuffix } from '../../harness/services.js';

describe('placement across three Docker daemons follows the strategy asked', () => {
  const pod = `multi-${uniqueSuffix()}`;
  const daemons: ExtraDaemon[] = [];
  const engines = new Map<string, Docker>();
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    dir = await tempDir('eru-multi-');
    daemons.push(...(await Promise.all([ExtraDaemon.start(1), ExtraDaemon.start(2)])));
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    const endpoints: Array<[string, string]> = [
      ['host-a', dockerEndpoint()],
      ['host-b', daemons[0]!.endpoint],
      ['host-c', daemons[1]!.endpoint],
    ];
    for (const [name, endpoint] of endpoints) {
      // host-a gets two cores, the others one: capacities differ, so the strategies differ.
      const cpus = name === 'host-a' ? ['0', '1'] : ['0'];
      const added = await core.api('POST', `/v1/pods/${pod}/nodes`, { name, endpoint, cpus, memory: '1GiB', labels: { tier: name === 'host-c' ? 'edge' : 'core' } });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      engines.set(name, testDocker(endpoint));
    }
  });
  after(async () => {
    for (const docker of engines.values()) await removePodContainers(docker, pod).catch(() => undefined);
    await core?.stop();
    await Promise.all(daemons.map((d) => d.stop()));
    await dir?.remove();
  });

  /** Deploys, then counts this entry's containers on each daemon, as Docker reports them. */
  async function deployAndCount(entry: string, args: string[]): Promise<Record<string, number>> {
    const result = await core.eru(['deploy', '--pod', pod, '--app', 'multi', '--entry', entry, '--image', BASE_IMAGE, ...args, '--', 'sleep', '300']);
    assert.equal(result.code, 0, result.stderr);
    const counts: Record<string, number> = {};
    for (const [name, docker] of engines) {
      const mine = (await eruContainers(docker, pod)).filter((c) => c.Labels['eru.entry'] === entry);
      for (const c of mine) assert.equal(c.Labels['eru.node'], name);
      if (mine.length > 0) counts[name] = mine.length;
    }
    return counts;
  }

  async function removeEntry(entry: string): Promise<void> {
    for (const w of (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&entry=${entry}`)).body) {
      assert.equal((await core.api('DELETE', `/v1/workloads/${w.id}`)).status, 200);
    }
  }

  it('AUTO spreads instances evenly over the daemons', async () => {
    assert.deepEqual(await deployAndCount('auto', ['--count', '3', '--cpu', '0.25']), { 'host-a': 1, 'host-b': 1, 'host-c': 1 });
    await removeEntry('auto');
  });

  it('EACH puts the count on every daemon', async () => {
    assert.deepEqual(await deployAndCount('each', ['--count', '2', '--cpu', '0.1', '--strategy', 'EACH']), { 'host-a': 2, 'host-b': 2, 'host-c': 2 });
    await removeEntry('each');
  });

  it('EACH with a daemon that has no room: placed where it fits, the other left out with its reason (exit 0); --strict refuses with nothing made', async () => {
    // 2 × 0.6 CPU needs two cores' worth: host-a (two cores) takes it, the one-core hosts cannot.
    const strict = await core.eru(['deploy', '--pod', pod, '--app', 'multi', '--entry', 'strict', '--image', BASE_IMAGE, '--count', '2', '--cpu', '0.6', '--strategy', 'EACH', '--strict', '--', 'sleep', '300']);
    assert.equal(strict.code, 2, strict.stderr);
    assert.match(strict.stderr, /2 node\(s\) cannot take 2 each \(strict: all or nothing\)/);
    for (const docker of engines.values()) assert.equal((await eruContainers(docker, pod)).filter((c) => c.Labels['eru.entry'] === 'strict').length, 0);
    const result = await core.eru(['deploy', '--pod', pod, '--app', 'multi', '--entry', 'partial', '--image', BASE_IMAGE, '--count', '2', '--cpu', '0.6', '--strategy', 'EACH', '--', 'sleep', '300']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /^left out host-b: can take 1, 2 asked on each node$/m);
    assert.match(result.stderr, /^left out host-c: can take 1, 2 asked on each node$/m);
    const counts: Record<string, number> = {};
    for (const [name, docker] of engines) {
      const mine = (await eruContainers(docker, pod)).filter((c) => c.Labels['eru.entry'] === 'partial').length;
      if (mine > 0) counts[name] = mine;
    }
    assert.deepEqual(counts, { 'host-a': 2 });
    await removeEntry('partial');
  });

  it('DRAINED fills the daemon with the least room first', async () => {
    // 1-CPU instances: host-b and host-c fit one each, host-a two; bin packing fills a one-core host first.
    assert.deepEqual(await deployAndCount('drained', ['--count', '2', '--cpu', '1', '--strategy', 'DRAINED']), { 'host-b': 1, 'host-c': 1 });
    await removeEntry('drained');
  });

  it('node filters and labels keep instances where they are asked to go', async () => {
    assert.deepEqual(await deployAndCount('edge', ['--count', '2', '--cpu', '0.3', '--node-label', 'tier=edge']), { 'host-c': 2 });
    assert.deepEqual(await deployAndCount('named', ['--count', '2', '--cpu', '0.3', '--node', 'host-b']), { 'host-b': 2 });
    await removeEntry('edge');
    await removeEntry('named');
  });

  it('an image missing on one daemon fails that deploy everywhere, and nothing is left', async () => {
    await daemons[1]!.docker.getImage(BASE_IMAGE).remove({ force: true });
    const result = await core.eru(['deploy', '--pod', pod, '--app', 'multi', '--entry', 'partial', '--image', BASE_IMAGE, '--count', '3', '--cpu', '0.2', '--', 'sleep', '300']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /rolled back: multi_partial_\w+ on host-c/);
    for (const docker of engines.values()) assert.equal((await eruContainers(docker, pod)).filter((c) => c.Labels['eru.entry'] === 'partial').length, 0);
    const nodes = (await core.api<Array<{ resources: { cpuFree: number; cpuTotal: number } }>>('GET', `/v1/pods/${pod}/nodes`)).body;
    for (const n of nodes) assert.equal(n.resources.cpuFree, n.resources.cpuTotal);
  });
});
