import fc from 'fast-check';
import type { CandidateNode, ResourceRequest, SchedulingPolicy } from '../../src/scheduler/types.js';

/** Random pods, nodes (whole, used and fragmented cores, memory, unbound load, NUMA) and requests. */

export const policyArb: fc.Arbitrary<SchedulingPolicy> = fc.record({
  sharebase: fc.constantFrom(10 as const, 100 as const, 1000 as const),
  maxshare: fc.integer({ min: -1, max: 4 }),
});

const GiB = 1024 ** 3;

export function nodeArb(policy: SchedulingPolicy, name = 'n1'): fc.Arbitrary<CandidateNode> {
  const S = policy.sharebase;
  const coreFree = fc.oneof(fc.constant(S), fc.constant(S), fc.constant(0), fc.integer({ min: 0, max: S }));
  return fc
    .record({
      free: fc.array(coreFree, { minLength: 1, maxLength: 12 }),
      memory: fc.option(fc.integer({ min: 0, max: 64 }).map((g) => g * GiB / 4), { nil: null }),
      unboundShare: fc.double({ min: 0, max: 1, noNaN: true }),
      numaSplit: fc.option(fc.integer({ min: 1, max: 11 }), { nil: undefined }),
      numaMemory: fc.boolean(),
      count: fc.integer({ min: 0, max: 5 }),
    })
    .map(({ free, memory, unboundShare, numaSplit, numaMemory, count }) => {
      const cpus = Object.fromEntries(free.map((f, i) => [String(i), f]));
      const total = free.reduce((a, b) => a + b, 0);
      const node: CandidateNode = {
        name,
        cpus,
        unboundPieces: Math.floor(total * unboundShare * 0.5),
        memory,
        memoryTotal: memory === null ? null : memory * 2,
        labels: {},
        bypass: false,
        count,
      };
      if (numaSplit !== undefined && numaSplit < free.length) {
        const ids = free.map((_, i) => String(i));
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
      pieces: fc.integer({ min: 1, max: 4 * S }),
      memory: fc.constantFrom(0, GiB / 4, GiB, 3 * GiB),
      bind: fc.boolean(),
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

export const clusterArb = policyArb.chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    nodes: fc
      .integer({ min: 1, max: 6 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(policy, `node-${i + 1}`)))),
    request: requestArb(policy),
    count: fc.integer({ min: 1, max: 30 }),
    strategy: fc.constantFrom('AUTO' as const, 'FILL' as const, 'EACH' as const, 'GLOBAL' as const, 'DRAINED' as const),
    limit: fc.integer({ min: 0, max: 3 }),
  }),
);
