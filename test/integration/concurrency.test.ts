import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IntentSchema, WorkloadSchema, type Intent, type Workload } from '../../src/model/workload.js';
import { NodeResourcesSchema, type NodeResources } from '../../src/model/resources.js';
import { EtcdStore } from '../../src/store/etcd.js';
import { CoreProcess } from '../../harness/core.js';
import { deployViaApi, resultOf } from '../../harness/deploy.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
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
    const workloads = kvs.filter((kv) => kv.key.startsWith('/eru/workloads/')).map((kv) => WorkloadSchema.parse(JSON.parse(kv.value))).filter((w) => w.node === node);
    const intents = kvs
      .filter((kv) => kv.key.startsWith('/eru/intents/'))
      .map((kv) => IntentSchema.parse(JSON.parse(kv.value)))
      .filter((i) => i.workloads.some((w) => w.node === node));
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
