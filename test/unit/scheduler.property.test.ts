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

/**
 * How many generated cases did the work a property is about (placed at least one instance): a
 * generator whose cases mostly return early proves nothing, so each property asserts that at least
 * half of its cases placed, and prints the ratio.
 */
class PlacingCases {
  private placed = 0;
  private total = 0;
  constructor(private readonly what: string) {}

  count(placedSomething: boolean): void {
    this.total++;
    if (placedSomething) this.placed++;
  }

  assertMost(): void {
    const ratio = this.total === 0 ? 0 : this.placed / this.total;
    console.log(`# ${this.what}: ${this.placed} of ${this.total} cases placed at least one instance (${(ratio * 100).toFixed(0)}%)`);
    assert.ok(ratio >= 0.5, `${this.what}: only ${this.placed} of ${this.total} cases placed anything`);
  }
}

/** The invariant maxshare promises: no more shared cores than it allows. */
function sharedCoresWithin(maxshare: number, shared: Record<string, number>): void {
  if (maxshare >= 0) assert.ok(Object.keys(shared).length <= maxshare, `${Object.keys(shared).length} shared cores, maxshare ${maxshare}`);
}

describe('scheduler properties', () => {
  it('capacity is exactly how many allocations in a row succeed', () => {
    const cases = new PlacingCases('capacity');
    fc.assert(
      fc.property(scenarioArb, ({ policy, node, request }) => {
        const pieces = toPieces(request, policy);
        const { capacity } = nodeCapacity(node.name, node, pieces, policy);
        const working = cloneResources(node);
        let placed = 0;
        for (let plan = planInstance(working, pieces, policy); plan && placed <= capacity; plan = planInstance(working, pieces, policy)) {
          applyPlacement(working, plan, policy.sharebase);
          placed++;
        }
        assert.equal(capacity, placed);
        cases.count(placed > 0);
      }),
      RUNS,
    );
    cases.assertMost();
  });

  it('never overfills a core, gives at most one fragment core, never shares an exclusive core, keeps maxshare', () => {
    const cases = new PlacingCases('apply');
    fc.assert(
      fc.property(scenarioArb, ({ policy, node, request }) => {
        const S = policy.sharebase;
        const pieces = toPieces(request, policy);
        const working = cloneResources(node);
        const exclusiveOwner = new Map<string, number>();
        const touched = new Map<string, number[]>();
        const fragments = { ...node.shared };
        const plans: InstancePlan[] = [];
        for (let plan = planInstance(working, pieces, policy); plan && plans.length < 200; plan = planInstance(working, pieces, policy)) {
          for (const [core, p] of Object.entries(plan.cpuset ?? {})) {
            if (p === S) assert.equal(working.shared[core], undefined, `core ${core} handed out whole while shared`);
          }
          applyPlacement(working, plan, S);
          plans.push(plan);
          for (const free of Object.values(working.cpus)) assert.ok(free >= 0 && free <= S, `core free ${free} out of 0..${S}`);
          assert.ok(working.memory === null || working.memory >= 0);
          sharedCoresWithin(policy.maxshare, working.shared);
          if (!plan.cpuset) continue;
          const entries = Object.entries(plan.cpuset);
          const fragmentCores = entries.filter(([, p]) => p < S);
          assert.ok(fragmentCores.length <= 1, 'more than one fragment core');
          for (const [core] of fragmentCores) fragments[core] = (fragments[core] ?? 0) + 1;
          assert.deepEqual(working.shared, fragments, 'shared cores count exactly the fragments on them');
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
        cases.count(plans.length > 0);
      }),
      RUNS,
    );
    cases.assertMost();
  });

  it('releasing what was allocated restores the ledger exactly, in any order, keeping maxshare throughout', () => {
    const cases = new PlacingCases('release');
    fc.assert(
      fc.property(scenarioArb, fc.infiniteStream(fc.nat()), ({ policy, node, request }, picks) => {
        const pieces = toPieces(request, policy);
        const before = structuredClone(node);
        const working = cloneResources(node);
        const plans: InstancePlan[] = [];
        for (let plan = planInstance(working, pieces, policy); plan && plans.length < 50; plan = planInstance(working, pieces, policy)) {
          applyPlacement(working, plan, policy.sharebase);
          plans.push(plan);
        }
        cases.count(plans.length > 0);
        const order = picks[Symbol.iterator]();
        while (plans.length > 0) {
          const [plan] = plans.splice(order.next().value! % plans.length, 1);
          releasePlacement(working, plan!, policy.sharebase);
          sharedCoresWithin(policy.maxshare, working.shared);
        }
        assert.deepEqual(working, before);
      }),
      RUNS,
    );
    cases.assertMost();
  });

  it('strategies never place more than a node can take, place what they report, and keep limit; most cases place', () => {
    const outcomes = new Map<string, PlacingCases>();
    fc.assert(
      fc.property(clusterArb, ({ policy, nodes, request, count, strategy, limit, ports }) => {
        const input = { pod: 'p', policy, nodes, request: { ...request, count, strategy, limit, ports } };
        const cases = outcomes.get(strategy) ?? new PlacingCases(`strategy ${strategy}`);
        outcomes.set(strategy, cases);
        let result;
        try {
          result = planDeploy(input);
        } catch (error) {
          if (!(error instanceof SchedulingError)) throw error;
          cases.count(false);
          return;
        }
        // A FILL that finds every node filled already places nothing: a no-op, not a placement.
        cases.count(result.placements.length > 0);
        const perNode = new Map<string, number>();
        for (const p of result.placements) perNode.set(p.node, (perNode.get(p.node) ?? 0) + 1);
        for (const [name, placed] of perNode) assert.ok(placed <= result.capacity.nodes.find((fit) => fit.node === name)!.capacity);
        // A host port asked: never on a node that holds it, never twice on one node.
        if (ports.length > 0) {
          for (const [name, placed] of perNode) {
            assert.equal(nodes.find((n) => n.name === name)!.ports?.['8080/tcp'], undefined, `${name} holds the port`);
            assert.equal(placed, 1, `${name} got ${placed} instances of one port`);
          }
        }
        const after = (node: { name: string; count: number }): number => node.count + (perNode.get(node.name) ?? 0);
        if (strategy === 'AUTO' || strategy === 'GLOBAL' || strategy === 'DRAINED') assert.equal(result.placements.length, count);
        if (strategy === 'AUTO' && limit > 0) for (const node of nodes) if (perNode.has(node.name)) assert.ok(after(node) <= limit, `${node.name} over the AUTO limit`);
        if (strategy === 'EACH') {
          for (const placed of perNode.values()) assert.equal(placed, count);
          // Without a limit, every node is placed on or left out with a reason, never both.
          if (limit === 0) for (const node of nodes) assert.notEqual(perNode.has(node.name), result.leftOut?.[node.name] !== undefined, `${node.name}: placed and left out, or neither`);
        }
        if (strategy === 'FILL') {
          // The nodes FILL may use: a node holding the asked host port is not one of them.
          const usable = nodes.filter((node) => !ports.some((port) => node.ports?.[port] !== undefined));
          for (const node of nodes) assert.ok(after(node) <= Math.max(count, node.count));
          const holding = usable.filter((node) => after(node) >= count).length;
          const heldBefore = usable.filter((node) => node.count >= count).length;
          if (limit === 0) assert.equal(holding, usable.length, 'FILL tops every usable node up');
          else assert.equal(holding, Math.max(limit, heldBefore), 'FILL makes exactly `limit` nodes hold count');
          assert.equal(result.alreadyDone !== undefined, result.placements.length === 0);
        }
        // Applying every placement to its node leaves a valid ledger: no core, memory or CPU total overdrawn, maxshare kept.
        for (const node of nodes) {
          const ledger = cloneResources(node);
          for (const p of result.placements.filter((q) => q.node === node.name)) applyPlacement(ledger, p, policy.sharebase);
          for (const free of Object.values(ledger.cpus)) assert.ok(free >= 0 && free <= policy.sharebase);
          assert.ok(ledger.memory === null || ledger.memory >= 0);
          assert.ok(Object.values(ledger.cpus).reduce((a, b) => a + b, 0) >= ledger.unboundPieces);
          sharedCoresWithin(policy.maxshare, ledger.shared);
        }
      }),
      // 500 cases per strategy: the ≥ 50% check below must not be a coin toss.
      { numRuns: 2500 },
    );
    // A generator whose cases mostly fail early would test nothing: most must place, for every strategy.
    assert.equal(outcomes.size, 5, 'every strategy was generated');
    for (const cases of outcomes.values()) cases.assertMost();
  });

  it('is deterministic: the same input gives the same plan', () => {
    fc.assert(
      fc.property(clusterArb, ({ policy, nodes, request, count, strategy, limit, ports }) => {
        const input = { pod: 'p', policy, nodes, request: { ...request, count, strategy, limit, ports } };
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
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 80 }), fc.option(fc.string({ maxLength: 8 }), { nil: undefined }), (specs, count, tieBreak) => {
        const resources = { cpus: {}, shared: {}, unboundPieces: 0, memory: null, memoryTotal: null };
        const nodes = specs.map((s, i) => ({ name: `n${i}`, ...s, resources }));
        const input = { nodes, count, limit: 0, pieces: 1, memory: 0, sharebase: 100, ...(tieBreak !== undefined ? { tieBreak } : {}) };
        const expected = autoOneAtATime(input);
        const actual = auto.distribute(input);
        if (expected === null) assert.equal(actual.ok, false);
        else assert.deepEqual(actual.ok ? [...actual.counts].sort() : null, [...expected].sort());
      }),
      { numRuns: 1000 },
    );
  });

  it('a tie-break string orders the nodes that tie: two deploys planned at once on equal nodes mostly pick different ones; without one, by name', () => {
    const resources = { cpus: {}, shared: {}, unboundPieces: 0, memory: null, memoryTotal: null };
    const nodes = Array.from({ length: 100 }, (_, i) => ({ name: `n${String(i).padStart(3, '0')}`, capacity: 5, count: 0, resources }));
    const chosen = (tieBreak?: string): string[] => {
      const result = auto.distribute({ nodes, count: 10, limit: 0, pieces: 1, memory: 0, sharebase: 100, ...(tieBreak !== undefined ? { tieBreak } : {}) });
      assert.ok(result.ok);
      return [...result.counts.keys()].sort();
    };
    assert.deepEqual(chosen(), nodes.slice(0, 10).map((n) => n.name));
    assert.deepEqual(chosen('a1b2c3'), chosen('a1b2c3'), 'the same tie-break, the same nodes');
    const overlap = chosen('a1b2c3').filter((name) => chosen('zz9y8x').includes(name)).length;
    assert.ok(overlap <= 3, `two tie-breaks share ${overlap} of 10 nodes`);
  });
});
