import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ledgerPool, sharedPool } from '../../src/engine/cpu.js';
import { isMissing, Engines } from '../../src/engine/engines.js';
import { parseSimulated, SimulatedEngine } from '../../src/engine/simulated.js';
import { MAX_TXN_OPS, splitIntoParts } from '../../src/core/deploy/parts.js';
import { WorkloadSchema, type Workload } from '../../src/model/workload.js';
import { applyPlacement, cloneResources, planInstance } from '../../src/scheduler/allocate.js';
import { expectedLedger, ledgerDrift, type Holder } from '../../src/scheduler/invariants.js';
import { toPieces } from '../../src/scheduler/request.js';
import type { NodeResources, Placement } from '../../src/model/resources.js';
import { nodeArb, policyArb, requestArb } from '../support/arbitraries.js';

/**
 * What lets a deploy read no workload records (issue 24): a node's shared pool read off its ledger
 * equals the pool computed from its holders, and the ledger's per-service counts are checked like its
 * pieces. And the simulated engine that C1M measures the control plane with.
 */
describe('deploys that read ledgers, not workloads', () => {
  it('the shared pool read off a ledger is the pool its holders leave, whatever they hold', () => {
    let withWholeCores = 0;
    let cases = 0;
    fc.assert(
      fc.property(
        policyArb.chain((policy) => fc.record({ policy: fc.constant(policy), node: nodeArb(policy), requests: fc.array(requestArb(policy), { minLength: 1, maxLength: 12 }) })),
        ({ policy, node, requests }) => {
          // A node with nothing on it yet, so that every holder is known.
          const ledger: NodeResources = { ...cloneResources(node), cpus: Object.fromEntries(Object.keys(node.cpus).map((core) => [core, policy.sharebase])), shared: {}, unboundPieces: 0 };
          const held: Array<Omit<Placement, 'node'>> = [];
          for (const request of requests) {
            const placement = planInstance(ledger, toPieces(request, policy), policy);
            if (!placement) continue;
            applyPlacement(ledger, placement, policy.sharebase);
            held.push(placement);
          }
          const cores = Object.keys(node.cpus);
          cases++;
          if (held.some((p) => Object.values(p.cpuset ?? {}).includes(policy.sharebase))) withWholeCores++;
          assert.equal(ledgerPool(cores, ledger), sharedPool(cores, held, policy.sharebase));
        },
      ),
      { numRuns: 400 },
    );
    // The property is about cores held whole: most cases must hold some.
    console.log(`# ${withWholeCores} of ${cases} cases held a core whole`);
    assert.ok(withWholeCores >= cases / 4, `only ${withWholeCores} of ${cases} cases held a core whole`);
  });

  it("a ledger's count of a service's instances is checked and recomputed with its pieces", () => {
    const ledger: NodeResources = { cpus: { '0': 10, '1': 10 }, shared: {}, unboundPieces: 0, memory: null, memoryTotal: null, held: {} };
    const holders: Holder[] = [
      { id: 'web_a_1', app: 'web', entry: 'a', node: 'n', placement: { cpuset: { '0': 3 }, pieces: 3, memory: 0 } },
      { id: 'web_a_2', app: 'web', entry: 'a', node: 'n', placement: { cpuset: { '0': 2 }, pieces: 2, memory: 0 } },
      { id: 'api_b_1', app: 'api', entry: 'b', node: 'n', placement: { cpuset: { '1': 10 }, pieces: 10, memory: 0 } },
    ];
    const expected = expectedLedger(ledger, holders, { sharebase: 10 });
    assert.deepEqual(expected.held, { web_a: 2, api_b: 1 });
    assert.deepEqual(ledgerDrift('n', expected, holders, { sharebase: 10 }), []);
    const drift = ledgerDrift('n', { ...expected, held: { web_a: 1 } }, holders, { sharebase: 10 });
    assert.deepEqual(drift, ['node n: the ledger counts 1 instances of web_a, its holders are 2', 'node n: the ledger counts 0 instances of api_b, its holders are 1']);
  });
});

describe("a deploy's transactions within etcd's limit", () => {
  const workload = (i: number, node: string, extra: Partial<Workload> = {}): Workload =>
    WorkloadSchema.parse({
      pod: 'p', app: 'a', entry: 'web', image: 'x', id: `a_web_${i}`, node, createdAt: '2026-01-01T00:00:00Z',
      placement: { cpuset: { '0': 1 }, pieces: 1, memory: 0 },
      cpuSettings: { cpusetCpus: '0', cpuShares: 102, cpuQuota: 10000, cpuPeriod: 100000 },
      ...extra,
    });

  it('splits many instances into parts whose reserve and commit each keep within the limit, keeping a node together where it fits', () => {
    // 500 instances over 300 nodes (some with several), each with an address: ledgers, addresses and records all count.
    const planned = Array.from({ length: 500 }, (_, i) => workload(i, `n${i % 300}`, { addresses: [{ network: 'net', address: `10.0.${Math.floor(i / 250)}.${i % 250}` }] }));
    const parts = splitIntoParts(planned);
    assert.deepEqual(parts.flat().map((w) => w.id).sort(), planned.map((w) => w.id).sort(), 'every instance in exactly one part');
    for (const part of parts) {
      const nodes = new Set(part.map((w) => w.node)).size;
      assert.ok(nodes + part.length + 3 <= MAX_TXN_OPS, `reserve: ${nodes} ledgers, ${part.length} addresses, the intent, its spec and the cursor`);
      assert.ok(part.length * 3 + 2 <= MAX_TXN_OPS, `commit: ${part.length} instances`);
    }
    assert.ok(parts.length >= 5 && parts.length <= 20, `${parts.length} parts`);
    const split = new Set(parts.flatMap((part, i) => [...new Set(part.map((w) => w.node))].filter((node) => parts.some((other, j) => j !== i && other.some((w) => w.node === node)))));
    assert.ok(split.size <= parts.length, `a node is split only where a part fills up (${split.size} split)`);
  });

  it('a small deploy is one part, and 100 instances on one node are split', () => {
    assert.equal(splitIntoParts(Array.from({ length: 10 }, (_, i) => workload(i, 'n1'))).length, 1);
    const parts = splitIntoParts(Array.from({ length: 100 }, (_, i) => workload(i, 'n1')));
    assert.equal(parts.length, 3);
    assert.ok(parts.every((part) => part.length * 3 + 2 <= MAX_TXN_OPS));
  });
});

describe('the simulated engine (sim://)', () => {
  it('reads its size and delay from the endpoint, and refuses what it cannot read', () => {
    assert.deepEqual(parseSimulated('sim://n1'), { name: 'n1', cores: 48, memory: 192 * 1024 ** 3, delayMs: 0 });
    assert.deepEqual(parseSimulated('sim://n2?cores=8&memory=16GiB&delay=3ms'), { name: 'n2', cores: 8, memory: 16 * 1024 ** 3, delayMs: 3 });
    assert.throws(() => parseSimulated('sim://n1?cores=0'), /cores is a whole number/);
    assert.throws(() => parseSimulated('sim://n1?gpus=2'), /unknown setting gpus/);
    assert.throws(() => parseSimulated('sim://N_1'), /a simulated engine is sim:\/\/NAME/);
  });

  it('makes, starts, changes, lists and removes containers as the core asks, by id or by name', async () => {
    const docker = new SimulatedEngine(parseSimulated('sim://n1?cores=4')).asDocker();
    const info = (await docker.info()) as { NCPU: number; ServerVersion: string };
    assert.equal(info.NCPU, 4);
    assert.equal(info.ServerVersion, 'simulated');
    const made = await docker.createContainer({ name: 'app_web_abc123', Image: 'sim/app:1', Labels: { 'eru.managed': 'true', 'eru.node': 'n1' }, HostConfig: { CpusetCpus: '0' } });
    await made.start();
    await docker.getContainer('app_web_abc123').update({ CpusetCpus: '1,2' });
    const seen = (await docker.getContainer(made.id).inspect()) as { State: { Running: boolean; Pid: number }; HostConfig: { CpusetCpus: string } };
    assert.equal(seen.State.Running, true);
    assert.ok(seen.State.Pid > 0);
    assert.equal(seen.HostConfig.CpusetCpus, '1,2');
    assert.deepEqual((await docker.listContainers({ all: true, filters: { label: ['eru.node=n1'] } })).map((c) => c.Names[0]), ['/app_web_abc123']);
    assert.deepEqual(await docker.listContainers({ all: true, filters: { label: ['eru.node=n2'] } }), []);
    await assert.rejects(docker.createContainer({ name: 'app_web_abc123', Image: 'x' }), (error: { statusCode?: number }) => error.statusCode === 409);
    await docker.getContainer('app_web_abc123').remove({ force: true });
    const gone = await docker.getContainer(made.id).inspect().catch((error: unknown) => error);
    assert.ok(isMissing(gone), 'a removed container is 404, which removal reads as already gone');
    await assert.rejects(docker.getContainer(made.id).exec({ Cmd: ['sh'] }), /does not do exec/);
  });

  it('is taken only by a core started with --allow-simulated', () => {
    assert.throws(() => new Engines().get({ name: 'n1', endpoint: 'sim://n1' }), /only when started with --allow-simulated/);
    assert.ok(new Engines(true).get({ name: 'n1', endpoint: 'sim://n1' }));
  });
});
