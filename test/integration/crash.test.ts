import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Intent } from '../../src/model/intent.js';
import type { Workload } from '../../src/model/workload.js';
import type { NodeResources } from '../../src/model/resources.js';
import { Repositories } from '../../src/core/repositories.js';
import { openStore } from '../../src/store/index.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { L2Switch } from '../../harness/l2.js';
import { checkLedgers } from '../support/invariants.js';
import { dockerEndpoint, etcdAddress, eventually, uniqueSuffix } from '../../harness/services.js';

/**
 * Where each kill lands: after this many progress events of a deploy of four (1 = just after the
 * reservation and intent were written; then containers created and started). A deploy of four has
 * nine progress events before its commit, so every kill interrupts it. Fixed, so a failure replays.
 */
const KILL_AFTER_EVENTS = [1, 2, 3, 4, 5, 6, 7, 2, 4, 6];

interface NodeView {
  cpus: string[];
  sharebase: number;
  cpuMap: Array<{ core: string; free: number; fragments: number }>;
  resources: { memoryFree: number };
}

/** The intents the dead core left, read from the store itself before any core starts again. */
async function intentsLeft(store: string): Promise<Intent[]> {
  const opened = openStore(store);
  try {
    return (await new Repositories(opened).intents.list()).map((i) => i.value);
  } finally {
    await opened.close();
  }
}

/** With `parent`, the deploys also take addresses from a network on it (a veth the test made). */
async function killDuringDeploys(store: string, kills: number[], timeoutMs: number, parent?: string): Promise<{ leftovers: number }> {
  const docker = testDocker();
  const pod = `crash-${uniqueSuffix()}`;
  const node = `victim-${uniqueSuffix()}`;
  const network = `crashnet-${uniqueSuffix().slice(-5)}`;
  let core = await CoreProcess.start(store);
  try {
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 10 });
    const macvlan = parent ? { macvlanParent: parent } : {};
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0', '1'], memory: '1GiB', ...macvlan })).status, 201);
    if (parent) assert.equal((await core.api('POST', '/v1/networks', { name: network, subnet: '10.235.0.0/28', pods: [pod] })).status, 201);
    const networks = parent ? [{ name: network }] : [];
    for (const delay of kills) {
      // A deploy of four; the core is killed with SIGKILL while it works, after `delay` progress events.
      let seen = 0;
      try {
        for await (const _event of core.client.stream('POST', '/v1/workloads', { pod, app: 'crash', image: BASE_IMAGE, command: ['sleep', '300'], cpu: 0.2, memory: '16MiB', count: 4, networks })) {
          if (++seen === delay) break;
        }
      } finally {
        await core.stop('SIGKILL');
      }
      assert.equal(seen, delay, 'the deploy was still under way when the core was killed');
      const left = await intentsLeft(store);
      assert.equal(left.length, 1, `after ${delay} events the dead core left its deploy's intent`);
      assert.equal(left[0]!.workloads.length, 4);
      if (parent) assert.equal(left[0]!.workloads.filter((w) => w.addresses.length === 1).length, 4, 'the intent carries the addresses');
      core = new CoreProcess(store, core.port);
      await core.start();
      // The new core undoes what the dead one left half-done (at once on the embedded store, after
      // the dead core's lease runs out on etcd).
      await eventually(async () => (await core.api<Intent[]>('GET', '/v1/intents')).body.length === 0, timeoutMs, 'the intents to be undone');
      assert.equal(core.log.match(/undoing the intent of a core that died/g)?.length, 1, 'the new core undid the dead one\'s intent');
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
      assert.deepEqual(containers, workloads.map((w) => w.id).sort(), `after a kill after ${delay} events: containers are exactly the recorded workloads`);
      assert.equal(workloads.length, 0, 'an interrupted deploy is undone whole');
      if (parent) {
        const pool = (await core.api<{ used: number; holders: unknown[] }>('GET', `/v1/networks/${network}`)).body;
        assert.deepEqual([pool.used, pool.holders], [0, []], 'no address is held by a workload that does not exist');
      }
      assert.doesNotMatch(core.log, /differs from what its workloads hold/, 'the ledgers and pools check clean');
      for (const w of workloads) assert.equal((await core.api('DELETE', `/v1/workloads/${w.id}`)).status, 200);
    }
    return { leftovers: (await eruContainers(docker, pod)).length };
  } finally {
    await removePodContainers(docker, pod);
    if (parent) {
      await core.api('DELETE', `/v1/networks/${network}`).catch(() => undefined);
      await docker.getNetwork(network).remove().catch(() => undefined);
    }
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

  it(`embedded store, ${KILL_AFTER_EVENTS.length} kills mid-deploy: each left an intent that recovery undid; no leaked container or reservation`, async () => {
    const dir = await tempDir('eru-crash-');
    dirs.push(dir.remove);
    const { leftovers } = await killDuringDeploys(`embedded:${dir.path}/eru.db`, KILL_AFTER_EVENTS, 15_000);
    assert.equal(leftovers, 0);
  });

  it('embedded store, 3 kills mid-deploy with a network: the addresses the dead core took are free again', async () => {
    const dir = await tempDir('eru-crash-net-');
    dirs.push(dir.remove);
    const l2 = L2Switch.create(uniqueSuffix().slice(-4).replace(/[^a-z0-9]/g, 'z'));
    try {
      const { leftovers } = await killDuringDeploys(`embedded:${dir.path}/eru.db`, [1, 3, 6], 15_000, l2.plug(1));
      assert.equal(leftovers, 0);
    } finally {
      l2.remove();
    }
  });

  it('etcd, 3 kills mid-deploy: the dead core’s intents are undone by the next core once its lease lapses', async () => {
    const { leftovers } = await killDuringDeploys(`etcd://${etcdAddress()}`, [1, 3, 6], 30_000);
    assert.equal(leftovers, 0);
  });
});
