import fc from 'fast-check';
import type { CandidateNode, ResourceRequest, SchedulingPolicy } from '../../src/scheduler/types.js';

/** Random pods, nodes (whole, exclusive and shared cores, memory, unbound load, NUMA) and requests. */

/** maxshare is a cap (≥ 0) in three cases of four, so the cap is exercised, not only "no cap". */
export const policyArb: fc.Arbitrary<SchedulingPolicy> = fc.record({
  sharebase: fc.constantFrom(10 as const, 100 as const, 1000 as const),
  maxshare: fc.oneof({ arbitrary: fc.constant(-1), weight: 1 }, { arbitrary: fc.integer({ min: 0, max: 4 }), weight: 3 }),
});

const GiB = 1024 ** 3;

type CoreState = { kind: 'whole' } | { kind: 'exclusive' } | { kind: 'shared'; free: number; holders: number };

function coreArb(sharebase: number): fc.Arbitrary<CoreState> {
  return fc.oneof(
    { arbitrary: fc.constant<CoreState>({ kind: 'whole' }), weight: 4 },
    { arbitrary: fc.constant<CoreState>({ kind: 'exclusive' }), weight: 1 },
    {
      arbitrary: fc.record({ kind: fc.constant('shared' as const), free: fc.integer({ min: 0, max: sharebase - 1 }), holders: fc.integer({ min: 1, max: 3 }) }),
      weight: 2,
    },
  );
}

/** A consistent node: shared cores have holders, and no more of them than the policy's maxshare allows. */
export function nodeArb(policy: SchedulingPolicy, name = 'n1'): fc.Arbitrary<CandidateNode> {
  const S = policy.sharebase;
  return fc
    .record({
      cores: fc.array(coreArb(S), { minLength: 2, maxLength: 12 }),
      memory: fc.option(fc.integer({ min: 4, max: 96 }).map((g) => (g * GiB) / 4), { nil: null, freq: 3 }),
      unboundShare: fc.double({ min: 0, max: 1, noNaN: true }),
      numaSplit: fc.option(fc.integer({ min: 1, max: 11 }), { nil: undefined }),
      numaMemory: fc.boolean(),
      count: fc.integer({ min: 0, max: 4 }),
    })
    .map(({ cores, memory, unboundShare, numaSplit, numaMemory, count }) => {
      const cpus: Record<string, number> = {};
      const shared: Record<string, number> = {};
      let sharedCores = 0;
      cores.forEach((core, i) => {
        const id = String(i);
        if (core.kind === 'shared' && (policy.maxshare < 0 || sharedCores < policy.maxshare)) {
          cpus[id] = core.free;
          shared[id] = core.holders;
          sharedCores++;
        } else cpus[id] = core.kind === 'exclusive' ? 0 : S;
      });
      const total = Object.values(cpus).reduce((a, b) => a + b, 0);
      const node: CandidateNode = {
        name,
        cpus,
        shared,
        unboundPieces: Math.floor(total * unboundShare * 0.3),
        memory,
        memoryTotal: memory === null ? null : memory * 2,
        labels: {},
        bypass: false,
        count,
      };
      if (numaSplit !== undefined && numaSplit < cores.length) {
        const ids = cores.map((_, i) => String(i));
        node.numa = { '0': ids.slice(0, numaSplit), '1': ids.slice(numaSplit) };
        if (numaMemory && memory !== null) node.numaMemory = { '0': Math.floor(memory / 2), '1': Math.floor(memory / 2) };
      }
      return node;
    });
}

export function requestArb(policy: SchedulingPolicy): fc.Arbitrary<ResourceRequest> {
  const S = policy.sharebase;
  return fc
    .record({
      // Fragments in most cases: they are where maxshare and shared cores matter.
      pieces: fc.oneof({ arbitrary: fc.integer({ min: 1, max: S - 1 }), weight: 2 }, { arbitrary: fc.integer({ min: 1, max: 3 * S }), weight: 2 }),
      memory: fc.constantFrom(0, 0, GiB / 4, GiB),
      bind: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
    })
    .map(({ pieces, memory, bind }) => ({ cpu: pieces / S, memory, bind }));
}

export const scenarioArb = policyArb.chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    node: nodeArb(policy),
    request: requestArb(policy),
  }),
);

export const STRATEGY_NAMES = ['AUTO', 'FILL', 'EACH', 'GLOBAL', 'DRAINED'] as const;

/**
 * A pod and one deploy. Counts and limits are shaped per strategy so that most cases can be placed
 * (EACH asks a little of every node, FILL a target above what nodes run): a property whose cases
 * mostly fail early proves little. GLOBAL and DRAINED take no limit.
 */
export const clusterArb = policyArb.chain((policy) =>
  fc.constantFrom(...STRATEGY_NAMES).chain((strategy) =>
    fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(policy, `node-${i + 1}`)))).chain((nodes) => {
      // FILL tops nodes up to count: one above what the fullest node runs, else most cases are no-ops; and
      // mostly with a limit, since without one every node must reach count.
      const most = Math.max(...nodes.map((node) => node.count));
      return fc.record({
        policy: fc.constant(policy),
        // A host port asked in one case of five, held on some nodes: then one instance per node at most.
        // Not with FILL: topping a node up to 2 or more of one port cannot succeed, so most cases would not place.
        nodes: fc.boolean().map((held) => (held ? nodes.map((node, i) => (i % 2 === 0 ? { ...node, ports: { '8080/tcp': `holder-${i}` } } : node)) : nodes)),
        ports: strategy === 'FILL' ? fc.constant<string[]>([]) : fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 4 }, { arbitrary: fc.constant<string[]>(['8080/tcp']), weight: 1 }),
        request: requestArb(policy),
        strategy: fc.constant(strategy),
        count: strategy === 'EACH' ? fc.constantFrom(1, 1, 2) : strategy === 'FILL' ? fc.constant(most + 1) : fc.integer({ min: 1, max: 4 }),
        limit:
          strategy === 'GLOBAL' || strategy === 'DRAINED'
            ? fc.constant(0)
            : fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 1, max: strategy === 'AUTO' ? 10 : 2 }), weight: strategy === 'FILL' ? 3 : 1 }),
      });
    }),
  ),
);
