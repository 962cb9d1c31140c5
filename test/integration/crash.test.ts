import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Intent } from '../../src/model/intent.js';
import type { Workload } from '../../src/model/workload.js';
import type { NodeResources } from '../../src/model/resources.js';
import { Repositories } from '../../src/core/repositories.js';
import { openStore } from '../../src/store/index.js';
import { AgentProcess } from '../../harness/agent.js';
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

/** A node's ledger as its view through the API shows it. */
function ledgerOf(view: NodeView): NodeResources {
  return {
    cpus: Object.fromEntries(view.cpuMap.map((c) => [c.core, c.free])),
    shared: Object.fromEntries(view.cpuMap.filter((c) => c.fragments > 0).map((c) => [c.core, c.fragments])),
    unboundPieces: 0,
    memory: view.resources.memoryFree,
    memoryTotal: null,
  };
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
      checkLedgers(10, new Map([[node, ledgerOf(view)]]), workloads, []);
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

describe('killing the leader (SIGKILL) while its keeper replaces lost instances', () => {
  it('etcd, two cores: the other core takes the lead, undoes the half-made replacement and finishes it; containers are exactly the recorded workloads, the ledger clean', async () => {
    const store = `etcd://${etcdAddress()}`;
    const docker = testDocker();
    const pod = `chaos-${uniqueSuffix()}`;
    const [live, lost] = [`chaos-a-${uniqueSuffix()}`, `chaos-b-${uniqueSuffix()}`];
    const app = `chaos${uniqueSuffix().slice(-5)}`;
    const leader = await CoreProcess.start(store, ['--node-ttl', '2', '--log-level', 'info']);
    let follower: CoreProcess | undefined;
    const agents: AgentProcess[] = [];
    const startAgent = async (core: CoreProcess, node: string): Promise<AgentProcess> => {
      const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
      const agent = new AgentProcess(core.url, node, token, dockerEndpoint());
      agent.start();
      agents.push(agent);
      return agent;
    };
    try {
      await eventually(async () => leader.log.includes('this core is the leader'), 10_000, 'the first core to lead');
      follower = await CoreProcess.start(store, ['--node-ttl', '2', '--log-level', 'info']);
      await leader.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
      for (const node of [live, lost]) {
        assert.equal((await leader.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0', '1'], memory: '2GiB' })).status, 201);
      }
      const doomed = await startAgent(leader, lost);
      await startAgent(follower, live);
      for (const node of [live, lost]) await eventually(async () => (await leader.api<{ liveness: { state: string } }>('GET', `/v1/nodes/${node}`)).body.liveness.state === 'up', 15_000, `${node} up`);
      const deployed = await leader.eru(['deploy', '--pod', pod, '--app', app, '--image', BASE_IMAGE, '--count', '6', '--cpu', '0.05', '--lost-after', '1s', '--', 'sleep', '300']);
      assert.equal(deployed.code, 0, deployed.stderr);
      const recorded = async (core: CoreProcess): Promise<Workload[]> => (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;
      const lostIds = (await recorded(leader)).filter((w) => w.node === lost).map((w) => w.id);
      assert.equal(lostIds.length, 3);

      // The lost node's agent dies; the leader's keeper starts replacing its three; the leader dies after the first start.
      const abort = new AbortController();
      const firstStart = (async () => {
        for await (const event of leader.client.stream<{ type: string; app?: string; data?: { type?: string } }>('GET', `/v1/events?app=${app}`, undefined, undefined, abort.signal)) {
          if (event.type === 'deploy.progress' && event.data?.type === 'started') return true;
        }
        return false;
      })();
      await doomed.stop('SIGKILL');
      assert.equal(await Promise.race([firstStart, new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]), true, 'the keeper started a replacement');
      await leader.stop('SIGKILL');
      abort.abort();
      const interrupted = (await follower.api<Intent[]>('GET', '/v1/intents')).body;
      assert.equal(interrupted.length, 1, 'the kill interrupted the keeper mid-deploy: its intent is left');

      // The follower leads, undoes the dead leader's intent, and its own keeper brings the service back.
      await eventually(
        async () => {
          const now = await recorded(follower!);
          const intents = (await follower!.api<Intent[]>('GET', '/v1/intents')).body;
          return intents.length === 0 && now.filter((w) => w.node === live).length === 6 ? true : undefined;
        },
        60_000,
        'six instances on the live node and no intent left',
      );
      assert.match(follower.log, /this core is the leader/);
      assert.match(follower.log, /undoing the intent of a core that died/);
      const now = await recorded(follower);
      const containers = (await eruContainers(docker, pod)).map((c) => c.Names[0]!.slice(1)).sort();
      assert.deepEqual(containers, now.map((w) => w.id).sort(), 'containers are exactly the recorded workloads: nothing leaked');
      const view = (await follower.api<NodeView>('GET', `/v1/nodes/${live}`)).body;
      checkLedgers(100, new Map([[live, ledgerOf(view)]]), now.filter((w) => w.node === live), []);
      assert.doesNotMatch(follower.log, /differs from what its workloads hold/);
      await follower.eru(['scale', app, '--entry', 'main', '--pod', pod, '--count', '0']);
    } finally {
      for (const agent of agents) await agent.stop();
      await removePodContainers(docker, pod);
      const cleaner = follower ?? leader;
      for (const node of [live, lost]) await cleaner.api('DELETE', `/v1/nodes/${node}`).catch(() => undefined);
      await cleaner.api('DELETE', `/v1/pods/${pod}`).catch(() => undefined);
      await follower?.stop();
      await leader.stop();
    }
  });
});
