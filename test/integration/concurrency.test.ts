import assert from 'node:assert/strict';
import { storedIntents, storedWorkloads } from '../support/stored.js';
import { after, before, describe, it } from 'node:test';
import type { Intent } from '../../src/model/intent.js';
import type { Workload } from '../../src/model/workload.js';
import type { NetworkView } from '../../src/contract/networks.js';
import { NodeResourcesSchema, type NodeResources } from '../../src/model/resources.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { CoreProcess } from '../../harness/core.js';
import { deployViaApi, resultOf } from '../../harness/deploy.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { L2Switch } from '../../harness/l2.js';
import { checkLedgers } from '../support/invariants.js';
import { dockerEndpoint, etcdAddress, uniqueSuffix } from '../../harness/services.js';

const ROUNDS_PER_CORE = 100;
const SIZES = [0.3, 0.5, 0.7, 1, 1.2, 0.05];

describe('two cores against one etcd deploying into the same node at once', () => {
  const docker = testDocker();
  const pod = `race-${uniqueSuffix()}`;
  const node = `racer-${uniqueSuffix()}`;
  const store = new EtcdStore([etcdAddress()]);
  let cores: CoreProcess[] = [];

  before(async () => {
    cores = await Promise.all([CoreProcess.start(`etcd://${etcdAddress()}`), CoreProcess.start(`etcd://${etcdAddress()}`)]);
    await cores[0]!.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    const added = await cores[0]!.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), cpus: ['0', '1'], memory: '2GiB' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });
  after(async () => {
    await removePodContainers(docker, pod);
    for (const core of cores) {
      for (const w of (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body ?? []) await core.api('DELETE', `/v1/workloads/${w.id}`);
    }
    await cores[0]?.api('DELETE', `/v1/nodes/${node}`);
    await cores[0]?.api('DELETE', `/v1/pods/${pod}`);
    await Promise.all(cores.map((c) => c.stop()));
    await store.close();
  });

  /** One consistent read of everything (one etcd range is one revision). */
  async function snapshot(): Promise<{ ledger: NodeResources; workloads: Workload[]; intents: Intent[] }> {
    const kvs = await store.range('/eru/');
    const ledger = NodeResourcesSchema.parse(JSON.parse(kvs.find((kv) => kv.key === `/eru/ledgers/${node}`)!.value));
    const workloads = storedWorkloads(kvs).filter((w) => w.node === node);
    const intents = storedIntents(kvs).filter((i) => i.workloads.some((w) => w.node === node));
    return { ledger, workloads, intents };
  }

  it(`${ROUNDS_PER_CORE} rounds per core: no exclusive core is ever given twice; the ledger always equals the workloads`, async () => {
    let stop = false;
    let checks = 0;
    const checker = (async () => {
      while (!stop) {
        const { ledger, workloads, intents } = await snapshot();
        checkLedgers(100, new Map([[node, ledger]]), workloads, intents);
        checks++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const stats = { placed: 0, refused: 0 };
    const worker = async (core: CoreProcess, seed: number): Promise<void> => {
      const mine: string[] = [];
      for (let round = 0; round < ROUNDS_PER_CORE; round++) {
        const cpu = SIZES[(seed + round * 7) % SIZES.length]!;
        const result = await deployViaApi(core, {
          pod,
          app: 'race',
          entry: `c${seed}`,
          image: BASE_IMAGE,
          command: ['sleep', '300'],
          cpu,
          count: 1,
        });
        if (result.status === 409) {
          stats.refused++;
        } else {
          const outcome = resultOf(result.events);
          assert.ok(outcome?.ok, JSON.stringify(result.events));
          mine.push(outcome.workloads[0]!.id);
          stats.placed++;
        }
        // Keep up to two of its own in place so the node stays contended; remove the oldest.
        while (mine.length > (round % 3 === 0 ? 0 : 2)) {
          const removed = await core.api('DELETE', `/v1/workloads/${mine.shift()}`);
          assert.equal(removed.status, 200, JSON.stringify(removed.body));
        }
      }
      while (mine.length > 0) assert.equal((await core.api('DELETE', `/v1/workloads/${mine.shift()}`)).status, 200);
    };
    try {
      await Promise.all([worker(cores[0]!, 1), worker(cores[1]!, 2)]);
    } finally {
      stop = true;
      await checker;
    }
    assert.ok(stats.placed >= ROUNDS_PER_CORE, `placed ${stats.placed}, refused ${stats.refused}`);
    assert.ok(checks > 20, `the invariant was checked ${checks} times`);
    const end = await snapshot();
    assert.deepEqual(end.ledger.cpus, { '0': 100, '1': 100 });
    assert.equal(end.workloads.length, 0);
    assert.equal((await eruContainers(docker, pod)).length, 0);
    console.log(`placed ${stats.placed}, refused for capacity ${stats.refused}, invariant checked ${checks} times`);
  });
});

describe('two cores against one etcd taking addresses from one /27 at once', () => {
  const docker = testDocker();
  const pod = `addr-${uniqueSuffix()}`;
  const node = `addr-${uniqueSuffix()}`;
  const network = `pool-${uniqueSuffix().slice(-6)}`;
  const l2 = L2Switch.create(uniqueSuffix().slice(-4).replace(/[^a-z0-9]/g, 'y'));
  const store = new EtcdStore([etcdAddress()]);
  let cores: CoreProcess[] = [];

  before(async () => {
    l2.plug(1);
    cores = await Promise.all([CoreProcess.start(`etcd://${etcdAddress()}`), CoreProcess.start(`etcd://${etcdAddress()}`)]);
    await cores[0]!.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    const added = await cores[0]!.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint(), macvlanParent: l2.parent(1) });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const net = await cores[0]!.api('POST', '/v1/networks', { name: network, subnet: '10.233.0.0/27', pods: [pod] });
    assert.equal(net.status, 201, JSON.stringify(net.body));
  });
  after(async () => {
    await removePodContainers(docker, pod);
    for (const w of (await cores[0]?.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`))?.body ?? []) await cores[0]!.api('DELETE', `/v1/workloads/${w.id}`);
    await cores[0]?.api('DELETE', `/v1/networks/${network}`);
    await cores[0]?.api('DELETE', `/v1/nodes/${node}`);
    await cores[0]?.api('DELETE', `/v1/pods/${pod}`);
    await Promise.all(cores.map((c) => c.stop()));
    await docker.getNetwork(network).remove().catch(() => undefined);
    l2.remove();
    await store.close();
  });

  /**
   * One consistent read: the pool's held addresses, and every [address, holder] pair that workloads and
   * intents (deploys under way, removals until their containers are gone) carry — a list, not a map by
   * address, so that two holders of one address are both seen.
   */
  async function held(): Promise<{ pool: Map<string, string>; holders: Array<[string, string]> }> {
    const kvs = await store.range('/eru/');
    const pool = new Map(kvs.filter((kv) => kv.key.startsWith(`/eru/addresses/${network}/`)).map((kv) => [kv.key.split('/').pop()!, (JSON.parse(kv.value) as { workload: string }).workload]));
    const pairsOf = (list: Workload[]): Array<[string, string]> => list.flatMap((w) => w.addresses.filter((a) => a.network === network).map((a) => [a.address, w.id] as [string, string]));
    const workloads = storedWorkloads(kvs);
    const intents = storedIntents(kvs).flatMap((i) => i.workloads);
    return { pool, holders: [...pairsOf(workloads), ...pairsOf(intents)] };
  }

  /** Each address has at most one holder, the pool holds exactly what the holders carry, and back. */
  function assertOneHolderEach({ pool, holders }: { pool: Map<string, string>; holders: Array<[string, string]> }): void {
    const byAddress = new Map<string, string[]>();
    for (const [address, holder] of holders) byAddress.set(address, [...(byAddress.get(address) ?? []), holder]);
    for (const [address, list] of byAddress) {
      assert.equal(list.length, 1, `${address} has ${list.length} holders: ${list.join(', ')}`);
      assert.equal(pool.get(address), list[0], `${list[0]} has ${address} without holding it in the pool`);
    }
    for (const [address, holder] of pool) assert.deepEqual(byAddress.get(address), [holder], `${address} held for ${holder}, who lacks it`);
  }

  it('the holder check sees one address with two holders', () => {
    // The check above, on a doctored read: a map keyed by address would have kept only one of the two.
    const doctored = { pool: new Map([['10.233.0.2', 'w1']]), holders: [['10.233.0.2', 'w1'], ['10.233.0.2', 'w2']] as Array<[string, string]> };
    assert.throws(() => assertOneHolderEach(doctored), /10\.233\.0\.2 has 2 holders: w1, w2/);
  });

  /** The addresses Docker has configured, per container; duplicates are kept to be found. */
  async function inDocker(): Promise<Array<[string, string]>> {
    const containers = await eruContainers(docker, pod);
    return containers.flatMap((c) => {
      const ep = c.NetworkSettings?.Networks?.[network] as { IPAMConfig?: { IPv4Address?: string }; IPAddress?: string } | undefined;
      const address = ep?.IPAMConfig?.IPv4Address ?? ep?.IPAddress;
      return address ? [[address, c.Labels['eru.workload']!] as [string, string]] : [];
    });
  }

  it('300 deploy/remove rounds: never an address twice, the pool always equals its holders; then to exhaustion, refused with nothing made; all free at the end', async () => {
    let stop = false;
    let samples = 0;
    const sampler = (async () => {
      while (!stop) {
        // Every held address belongs to exactly one workload or intent that has it, and back.
        assertOneHolderEach(await held());
        const docked = await inDocker();
        assert.equal(new Set(docked.map(([address]) => address)).size, docked.length, `an address twice in Docker: ${JSON.stringify(docked)}`);
        samples++;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const stats = { placed: 0, refused: 0 };
    const worker = async (core: CoreProcess, seed: number, rounds: number): Promise<string[]> => {
      const mine: string[][] = [];
      for (let round = 0; round < rounds && !stop; round++) {
        // One instance a round (a round costs Docker about half a second here); the rounds race for the lowest free address.
        const result = await deployViaApi(core, { pod, app: 'addr', entry: `w${seed}`, image: BASE_IMAGE, command: ['sleep', '300'], cpu: 0.01, count: 1, networks: [{ name: network }] });
        if (result.status === 409) {
          assert.match(result.refused!.message, new RegExp(`network ${network} has \\d+ free address`));
          stats.refused++;
        } else {
          const outcome = resultOf(result.events);
          assert.ok(outcome?.ok, JSON.stringify(result.events));
          mine.push(outcome.workloads.map((w) => w.id));
          stats.placed++;
        }
        while (mine.length > 3) for (const id of mine.shift()!) assert.equal((await core.api('DELETE', `/v1/workloads/${id}`)).status, 200);
      }
      return mine.flat();
    };
    // A failure anywhere stops every worker before the test ends, so nothing is made after the clean-up.
    const workers = [worker(cores[0]!, 1, 75), worker(cores[1]!, 2, 75), worker(cores[0]!, 3, 75), worker(cores[1]!, 4, 75)].map((w) => w.catch((error: unknown) => {
      stop = true;
      throw error;
    }));
    sampler.catch(() => (stop = true));
    const settled = await Promise.allSettled(workers);
    stop = true;
    await sampler;
    for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
    const kept = settled.flatMap((outcome) => (outcome.status === 'fulfilled' ? outcome.value : []));
    // At rest: the store's pool, Docker's configuration and the workloads say the same.
    const rest = await held();
    assertOneHolderEach(rest);
    assert.deepEqual([...rest.pool].sort(), [...rest.holders].sort());
    assert.deepEqual((await inDocker()).sort(), [...rest.holders].sort());
    assert.equal(rest.holders.length, kept.length);

    // To exhaustion: the rest of the pool in one deploy, then one more, refused with nothing made.
    const { free } = (await cores[0]!.api<NetworkView>('GET', `/v1/networks/${network}`)).body;
    assert.ok(free > 0, 'some addresses were free');
    const filling = await deployViaApi(cores[1]!, { pod, app: 'addr', entry: 'fill', image: BASE_IMAGE, command: ['sleep', '300'], cpu: 0.01, count: free, networks: [{ name: network }] });
    const filled = resultOf(filling.events);
    assert.ok(filled?.ok, JSON.stringify(filling.events.slice(-1)));
    kept.push(...filled.workloads.map((w) => w.id));
    const full = await held();
    assert.equal(full.pool.size, rest.pool.size + free);
    const dockedFull = (await inDocker()).sort();
    const containersFull = (await eruContainers(docker, pod)).length;
    const over = await deployViaApi(cores[0]!, { pod, app: 'addr', entry: 'over', image: BASE_IMAGE, command: ['sleep', '300'], cpu: 0.01, count: 1, networks: [{ name: network }] });
    assert.equal(over.status, 409, JSON.stringify(over.refused ?? over.events));
    assert.match(over.refused!.message, new RegExp(`network ${network} has 0 free addresses; 1 asked`));
    assert.deepEqual([...(await held()).pool].sort(), [...full.pool].sort(), 'the pool is unchanged by the refusal');
    assert.deepEqual((await inDocker()).sort(), dockedFull);
    assert.equal((await eruContainers(docker, pod)).length, containersFull, 'no container was made');

    for (const id of kept) assert.equal((await cores[0]!.api('DELETE', `/v1/workloads/${id}`)).status, 200);
    const end = await held();
    assert.equal(end.pool.size, 0, 'every address is free again');
    assert.deepEqual(await inDocker(), []);
    assert.ok(stats.placed + stats.refused === 300 && stats.placed >= 250 && samples > 20, `placed ${stats.placed}, refused ${stats.refused}, ${samples} samples`);
    console.log(`addresses: ${stats.placed} deploys placed, ${stats.refused} refused for an exhausted pool, ${samples} consistent samples`);
  });
});
