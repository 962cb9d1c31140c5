import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Workload } from '../../src/model/workload.js';
import { openStore } from '../../src/store/index.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, uniqueSuffix } from '../../harness/services.js';

interface NodeView {
  cpuMap: Array<{ core: string; free: number; fragments: number }>;
}

describe('maxshare through the core and a real Docker node (sharebase 10, maxshare 1, two cores)', () => {
  const docker = testDocker();
  const pod = `msh-${uniqueSuffix()}`;
  const node = `local-${uniqueSuffix()}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let store: string;

  before(async () => {
    dir = await tempDir('eru-maxshare-');
    store = `embedded:${dir.path}/eru.db`;
    core = await CoreProcess.start(store, ['--log-level', 'info']);
    assert.equal((await core.eru(['pod', 'add', pod, '--sharebase', '10', '--maxshare', '1'])).code, 0);
    const added = await core.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--cpus', '0,1', '--memory', '1GiB']);
    assert.equal(added.code, 0, added.stderr);
  });
  after(async () => {
    await removePodContainers(docker, pod);
    await core?.stop();
    await dir?.remove();
  });

  const deploy = (args: string[]) => core.eru(['deploy', '--pod', pod, '--app', 'msh', '--image', BASE_IMAGE, ...args, '--', 'sleep', '600']);
  const workloads = async (): Promise<Workload[]> => (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;
  const cpuMap = async (): Promise<NodeView['cpuMap']> => (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.cpuMap;

  it('two 0.5 deploys land on one core, which stays shared when they fill it', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await deploy(['--entry', 'half', '--cpu', '0.5'])).code, 0);
    const placed = await workloads();
    assert.deepEqual(placed.map((w) => w.cpuSettings.cpusetCpus), ['1', '1']);
    for (const w of placed) assert.equal((await docker.getContainer(w.id).inspect()).HostConfig.CpusetCpus, '1');
    assert.deepEqual(await cpuMap(), [
      { core: '0', free: 10, used: 0, state: 'free', fragments: 0 },
      { core: '1', free: 0, used: 10, state: 'full', fragments: 2 },
    ]);
    const show = await core.eru(['node', 'show', node]);
    assert.match(show.stdout, /^1\s+0\s+10\s+full\s+yes \(2 fragments\)/m);
    assert.match(show.stdout, /^0\s+10\s+0\s+free\s+-/m);
  });

  it('the third 0.5 is refused with the maxshare reason and nothing is created', async () => {
    const before = (await eruContainers(docker, pod)).length;
    const third = await deploy(['--entry', 'half', '--cpu', '0.5']);
    assert.equal(third.code, 2, third.stdout);
    assert.match(third.stderr, /can place 0 more of cpu=0\.5 bound; 1 asked/);
    assert.match(third.stderr, /maxshare 1 reached \(1 shared cores\)/);
    assert.equal((await eruContainers(docker, pod)).length, before);
    // A whole core is still free for whole-core work.
    assert.equal((await deploy(['--entry', 'whole', '--cpu', '1'])).code, 0);
    assert.equal((await core.eru(['rm', (await workloads()).find((w) => w.entry === 'whole')!.id])).code, 0);
  });

  it('a core stops being shared only when its last fragment leaves', async () => {
    const [first, second] = await workloads();
    assert.equal((await core.eru(['rm', first!.id])).code, 0);
    assert.deepEqual((await cpuMap()).find((c) => c.core === '1'), { core: '1', free: 5, used: 5, state: 'partial', fragments: 1 });
    assert.equal((await core.eru(['rm', second!.id])).code, 0);
    assert.deepEqual((await cpuMap()).find((c) => c.core === '1'), { core: '1', free: 10, used: 0, state: 'free', fragments: 0 });
  });

  it('a ledger stored without its shared cores is recounted from the workloads when a core starts', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await deploy(['--entry', 'half', '--cpu', '0.5'])).code, 0);
    await core.stop();
    // What an older core wrote: the ledger without `shared`.
    const raw = openStore(store);
    const key = `/eru/ledgers/${node}`;
    const { shared: _dropped, ...legacy } = JSON.parse((await raw.get(key))!.value) as Record<string, unknown>;
    await raw.put(key, JSON.stringify(legacy));
    await raw.close();
    await core.start();
    assert.match(core.log, new RegExp(`"node":"${node}".*"shared":\\{"1":2\\}.*migrated the ledger`));
    assert.deepEqual((await cpuMap()).find((c) => c.core === '1')?.fragments, 2);
    const third = await deploy(['--entry', 'half', '--cpu', '0.5']);
    assert.equal(third.code, 2, 'maxshare holds after the migration');
  });

  it('FILL that is already filled deploys nothing and says so (exit 0)', async () => {
    const result = await core.eru(['deploy', '--pod', pod, '--app', 'msh', '--entry', 'half', '--image', BASE_IMAGE, '--strategy', 'FILL', '--count', '2', '--limit', '1', '--cpu', '0.5', '--', 'sleep', '600']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /nothing deployed: already filled: 1 node\(s\) hold 2 or more/);
    assert.equal((await workloads()).length, 2);
  });
});
