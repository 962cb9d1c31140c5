import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Intent, Workload } from '../../src/core/model/workload.js';
import type { NodeResources } from '../../src/scheduler/types.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../support/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../support/docker.js';
import { checkLedgers } from '../support/invariants.js';
import { dockerEndpoint, etcdAddress, eventually, uniqueSuffix } from '../support/services.js';

/** A fixed sequence of kill delays, so a failure can be replayed. */
const KILL_AFTER_MS = [0, 40, 120, 250, 400, 600, 800, 1100, 1500, 2200];

interface NodeView {
  cpus: string[];
  sharebase: number;
  cpuMap: Array<{ core: string; free: number; fragments: number }>;
  resources: { memoryFree: number };
}

async function killDuringDeploys(store: string, kills: number[], timeoutMs: number): Promise<{ leftovers: number; placed: number }> {
  const docker = testDocker();
  const pod = `crash-${uniqueSuffix()}`;
  const node = `victim-${uniqueSuffix()}`;
  let core = await CoreProcess.start(store);
  let placed = 0;
  try {
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 10 });
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0', '1'], memory: '1GiB' })).status, 201);
    for (const delay of kills) {
      // A deploy of four; the core is killed with SIGKILL while it works.
      const deploy = fetch(`${core.url}/v1/workloads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ pod, app: 'crash', image: BASE_IMAGE, command: ['sleep', '300'], cpu: 0.2, memory: '16MiB', count: 4 }),
      })
        .then((r) => r.text())
        .catch(() => '');
      await new Promise((r) => setTimeout(r, delay));
      await core.stop('SIGKILL');
      await deploy;
      core = new CoreProcess(store, core.port);
      await core.start();
      // The new core undoes what the dead one left half-done (at once on the embedded store, after
      // the dead core's lease runs out on etcd).
      await eventually(async () => (await core.api<Intent[]>('GET', '/v1/intents')).body.length === 0, timeoutMs, 'the intents to be undone');
      const workloads = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;
      const view = (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body;
      const ledger: NodeResources = {
        cpus: Object.fromEntries(view.cpuMap.map((c) => [c.core, c.free])),
        shared: Object.fromEntries(view.cpuMap.filter((c) => c.fragments > 0).map((c) => [c.core, c.fragments])),
        unboundPieces: 0,
        memory: view.resources.memoryFree,
        memoryTotal: null,
      };
      checkLedgers(10, new Map([[node, ledger]]), workloads, []);
      assert.equal(view.resources.memoryFree, 1024 ** 3 - workloads.length * 16 * 1024 ** 2, 'memory equals the workloads');
      const containers = (await eruContainers(docker, pod)).map((c) => c.Names[0]!.slice(1)).sort();
      assert.deepEqual(containers, workloads.map((w) => w.id).sort(), `after a kill at ${delay} ms: containers are exactly the recorded workloads`);
      placed += workloads.length;
      for (const w of workloads) assert.equal((await core.api('DELETE', `/v1/workloads/${w.id}`)).status, 200);
    }
    return { leftovers: (await eruContainers(docker, pod)).length, placed };
  } finally {
    await removePodContainers(docker, pod);
    await core.api('DELETE', `/v1/nodes/${node}`).catch(() => undefined);
    await core.api('DELETE', `/v1/pods/${pod}`).catch(() => undefined);
    await core.stop();
  }
}

describe('killing the core (SIGKILL) at points of a deploy, then starting a core again', () => {
  const dirs: Array<() => Promise<void>> = [];
  after(async () => {
    for (const remove of dirs) await remove();
  });

  it(`embedded store, ${KILL_AFTER_MS.length} kills: no leaked container, no leaked reservation`, async () => {
    const dir = await tempDir('eru-crash-');
    dirs.push(dir.remove);
    const { leftovers, placed } = await killDuringDeploys(`embedded:${dir.path}/eru.db`, KILL_AFTER_MS, 15_000);
    assert.equal(leftovers, 0);
    console.log(`embedded: ${KILL_AFTER_MS.length} kills, ${placed} workloads had been recorded before their kill`);
  });

  it('etcd, 3 kills: the dead core’s intents are undone by the next core once its lease lapses', async () => {
    const { leftovers } = await killDuringDeploys(`etcd://${etcdAddress()}`, [100, 500, 1000], 30_000);
    assert.equal(leftovers, 0);
  });
});
