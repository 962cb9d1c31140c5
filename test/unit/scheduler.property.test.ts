import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyPlacement, cloneResources, planInstance, releasePlacement, type InstancePlan } from '../../src/scheduler/allocate.js';
import { nodeCapacity } from '../../src/scheduler/fit.js';
import { planDeploy } from '../../src/scheduler/plan.js';
import { SchedulingError, toPieces } from '../../src/scheduler/request.js';
import { auto } from '../../src/scheduler/strategies/auto.js';
import { clusterArb, scenarioArb } from '../support/arbitraries.js';
import { autoOneAtATime } from '../support/auto-reference.js';

const RUNS = { numRuns: 400 };


describe('scheduler properties', () => {
  it('capacity is exactly how many allocations in a row succeed', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, node, request }) => {
        const pieces = toPieces(request, policy);
        const { capacity } = nodeCapacity(node.name, node, pieces, policy);
        const working = cloneResources(node);
        let placed = 0;
        for (let plan = planInstance(working, pieces, policy); plan && placed <= capacity; plan = planInstance(working, pieces, policy)) {
          applyPlacement(working, plan);
          placed++;
        }
        assert.equal(capacity, placed);
      }),
      RUNS,
    );
  });

  it('never overfills a core, gives at most one fragment core, never shares an exclusive core', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, node, request }) => {
        const S = policy.sharebase;
        const pieces = toPieces(request, policy);
        const working = cloneResources(node);
        const exclusiveOwner = new Map<string, number>();
        const touched = new Map<string, number[]>();
        const plans: InstancePlan[] = [];
        for (let plan = planInstance(working, pieces, policy); plan && plans.length < 200; plan = planInstance(working, pieces, policy)) {
          applyPlacement(working, plan);
          plans.push(plan);
          for (const free of Object.values(working.cpus)) assert.ok(free >= 0 && free <= S, `core free ${free} out of 0..${S}`);
          assert.ok(working.memory === null || working.memory >= 0);
          if (!plan.cpuset) continue;
          const entries = Object.entries(plan.cpuset);
          const fragments = entries.filter(([, p]) => p < S);
          assert.ok(fragments.length <= 1, 'more than one fragment core');
          assert.equal(entries.filter(([, p]) => p === S).length, pieces.full);
          assert.equal(entries.reduce((sum, [, p]) => sum + p, 0), pieces.pieces);
          for (const [core, p] of entries) {
            const owner = exclusiveOwner.get(core);
            assert.equal(owner, undefined, `core ${core} is exclusive to instance ${owner}`);
            if (p === S) {
              assert.equal(touched.get(core), undefined, `core ${core} given exclusively while shared`);
              exclusiveOwner.set(core, plans.length);
            }
            touched.set(core, [...(touched.get(core) ?? []), plans.length]);
          }
        }
      }),
      RUNS,
    );
  });

  it('releasing what was allocated restores the ledger exactly, in any order', () => {
    fc.assert(
      fc.property(scenarioArb, fc.infiniteStream(fc.nat()), ({ policy, node, request }, picks) => {
        const pieces = toPieces(request, policy);
        const before = structuredClone(node);
        const working = cloneResources(node);
        const plans: InstancePlan[] = [];
        for (let plan = planInstance(working, pieces, policy); plan && plans.length < 50; plan = planInstance(working, pieces, policy)) {
          applyPlacement(working, plan);
          plans.push(plan);
        }
        const order = picks[Symbol.iterator]();
        while (plans.length > 0) {
          const [plan] = plans.splice(order.next().value! % plans.length, 1);
          releasePlacement(working, plan!);
        }
        assert.deepEqual(working, before);
      }),
      RUNS,
    );
  });

  it('strategies never place more than a node can take, and place exactly what they report', () => {
    fc.assert(
      fc.property(clusterArb, ({ policy, nodes, request, count, strategy, limit }) => {
        const input = { pod: 'p', policy, nodes, request: { ...request, count, strategy, limit } };
        let result;
        try {
          result = planDeploy(input);
        } catch (error) {
          if (error instanceof SchedulingError) return;
          throw error;
        }
        const perNode = new Map<string, number>();
        for (const p of result.placements) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
        for (const [name, placed] of perNode) assert.ok(placed <= result.capacity.nodes.find((fit) => fit.node === name)!.capacity);
        if (strategy === 'AUTO' || strategy === 'GLOBAL' || strategy === 'DRAINED') assert.equal(result.placements.length, count);
        if (strategy === 'EACH') for (const placed of perNode.values()) assert.equal(placed, count);
        if (strategy === 'FILL') {
          for (const node of nodes) assert.ok(node.count + (perNode.get(node.name) ?? 0) <= Math.max(count, node.count));
        }
        // Applying every placement to its node leaves a valid ledger: no core, memory or CPU total overdrawn.
        for (const node of nodes) {
          const after = cloneResources(node);
          for (const p of result.placements.filter((q) => q.node === node.name)) applyPlacement(after, p);
          for (const free of Object.values(after.cpus)) assert.ok(free >= 0 && free <= policy.sharebase);
          assert.ok(after.memory === null || after.memory >= 0);
          assert.ok(Object.values(after.cpus).reduce((a, b) => a + b, 0) >= after.unboundPieces);
        }
      }),
      RUNS,
    );
  });

  it('is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(clusterArb, ({ policy, nodes, request, count, strategy, limit }) => {
        const input = { pod: 'p', policy, nodes, request: { ...request, count, strategy, limit } };
        const run = (): unknown => {
          try {
            return planDeploy(structuredClone(input));
          } catch (error) {
            return (error as Error).message;
          }
        };
        assert.deepEqual(run(), run());
      }),
      { numRuns: 200 },
    );
  });
});

describe('AUTO by levels', () => {
  it('places exactly as one-at-a-time AUTO would', () => {
    const nodeArb = fc.record({ capacity: fc.integer({ min: 0, max: 12 }), count: fc.integer({ min: 0, max: 8 }) });
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 80 }), (specs, count) => {
        const resources = { cpus: {}, unboundPieces: 0, memory: null, memoryTotal: null };
        const nodes = specs.map((s, i) => ({ name: `n${i}`, ...s, resources }));
        const input = { nodes, count, limit: 0, pieces: 1, memory: 0, sharebase: 100 };
        const expected = autoOneAtATime(input);
        const actual = auto.distribute(input);
        if (expected === null) assert.equal(actual.ok, false);
        else assert.deepEqual(actual.ok ? [...actual.counts].sort() : null, [...expected].sort());
      }),
      { numRuns: 1000 },
    );
  });
});
