import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EruError } from '../../src/lib/errors.js';
import { allocate, release } from '../../src/scheduler/allocate.js';
import { capacityOf, planDeploy, type PlanInput } from '../../src/scheduler/plan.js';
import { planRealloc } from '../../src/scheduler/realloc.js';
import { SchedulingError, toPieces } from '../../src/scheduler/request.js';
import type { CapacityReport, DeployRequest, NodeCapacity } from '../../src/scheduler/types.js';
import { wholeNode } from '../support/nodes.js';

const GiB = 1024 ** 3;

function fitOf(report: CapacityReport, node: string): NodeCapacity {
  return report.nodes.find((fit) => fit.node === node)!;
}

function deploy(overrides: Partial<DeployRequest>): DeployRequest {
  return { cpu: 1, memory: 0, bind: true, count: 0, strategy: 'AUTO', limit: 0, ...overrides };
}

function perNode(input: PlanInput): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of planDeploy(input).placements) counts[p.node] = (counts[p.node] ?? 0) + 1;
  return counts;
}

describe('bound placement', () => {
  const policy = { sharebase: 10 as const, maxshare: -1 };

  it('3.2 CPU at sharebase 10 takes 3 exclusive cores and 2 pieces of a fourth', () => {
    const result = allocate(wholeNode('n', 8, 10), toPieces({ cpu: 3.2, memory: 0, bind: true }, policy), policy);
    assert.deepEqual(result?.placement.cpuset, { '0': 10, '1': 10, '2': 10, '7': 2 });
  });

  it('packs fragments into an already fragmented core before splitting a new one', () => {
    let node = wholeNode('n', 4, 10);
    const half = toPieces({ cpu: 0.5, memory: 0, bind: true }, policy);
    const first = allocate(node, half, policy)!;
    node = first.resources;
    const second = allocate(node, half, policy)!;
    assert.deepEqual(first.placement.cpuset, { '3': 5 });
    assert.deepEqual(second.placement.cpuset, { '3': 5 }, 'the second fragment shares core 3');
    const third = allocate(second.resources, toPieces({ cpu: 1.3, memory: 0, bind: true }, policy), policy)!;
    assert.deepEqual(third.placement.cpuset, { '0': 10, '2': 3 });
  });

  it('chooses the fullest fragmented core that fits', () => {
    const node = wholeNode('n', 4, 10, { cpus: { '0': 10, '1': 6, '2': 3, '3': 10 }, shared: { '1': 1, '2': 2 } });
    const result = allocate(node, toPieces({ cpu: 0.3, memory: 0, bind: true }, policy), policy)!;
    assert.deepEqual(result.placement.cpuset, { '2': 3 });
  });

  it('maxshare caps how many cores hold fragments', () => {
    const capped = { sharebase: 10 as const, maxshare: 1 };
    const input: PlanInput = { pod: 'p', policy: capped, nodes: [wholeNode('n', 4, 10)], request: deploy({ cpu: 0.3 }) };
    // 0.3 leaves one piece on a core, so one fragment core (3 instances) is all maxshare 1 allows.
    assert.equal(capacityOf(input).total, 3);
    assert.equal(capacityOf({ ...input, policy }).total, 12);
    assert.match(fitOf(capacityOf(input), 'n').reason!, /maxshare 1/);
  });

  it('prefers a plan inside one NUMA node and reports it', () => {
    const node = {
      ...wholeNode('n', 4, 10, { memory: 8 * GiB, memoryTotal: 8 * GiB }),
      cpus: { '0': 10, '1': 0, '2': 10, '3': 10 },
      numa: { '0': ['0', '1'], '1': ['2', '3'] },
      numaMemory: { '0': 4 * GiB, '1': 4 * GiB },
    };
    const result = allocate(node, toPieces({ cpu: 2, memory: GiB, bind: true }, policy), policy)!;
    assert.equal(result.placement.numa, '1');
    assert.deepEqual(result.placement.cpuset, { '2': 10, '3': 10 });
    assert.equal(result.resources.numaMemory!['1'], 3 * GiB);
    const next = allocate(result.resources, toPieces({ cpu: 1, memory: 0, bind: true }, policy), policy)!;
    assert.equal(next.placement.numa, '0');
    // Two cores no longer fit in one NUMA node: the plan spans both and names none.
    const wide = allocate({ ...node, cpus: { '0': 10, '1': 0, '2': 10, '3': 0 } }, toPieces({ cpu: 2, memory: 0, bind: true }, policy), policy)!;
    assert.equal(wide.placement.numa, undefined);
    assert.deepEqual(wide.placement.cpuset, { '0': 10, '2': 10 });
  });

  it('release gives back exactly what was taken', () => {
    const node = wholeNode('n', 3, 10, { memory: 4 * GiB, memoryTotal: 4 * GiB });
    const taken = allocate(node, toPieces({ cpu: 1.7, memory: GiB, bind: true }, policy), policy)!;
    assert.deepEqual(release(taken.resources, taken.placement, 10), node);
  });
});

describe('unbound placement and memory', () => {
  const policy = { sharebase: 100 as const, maxshare: -1 };

  it('counts unbound cpu against the node total, not against cores', () => {
    const node = wholeNode('n', 2, 100);
    const request = toPieces({ cpu: 0.5, memory: 0, bind: false }, policy);
    const taken = allocate(node, request, policy)!;
    assert.equal(taken.placement.cpuset, undefined);
    assert.equal(taken.resources.unboundPieces, 50);
    // A bound 2-CPU request no longer fits: the unbound half-core must keep its room.
    assert.equal(allocate(taken.resources, toPieces({ cpu: 2, memory: 0, bind: true }, policy), policy), null);
    assert.ok(allocate(taken.resources, toPieces({ cpu: 1.5, memory: 0, bind: true }, policy), policy));
  });

  it('memory caps capacity whatever the CPU allows', () => {
    const input: PlanInput = {
      pod: 'p',
      policy,
      nodes: [wholeNode('n', 16, 100, { memory: 3 * GiB, memoryTotal: 3 * GiB })],
      request: deploy({ cpu: 0.1, memory: GiB }),
    };
    assert.equal(capacityOf(input).total, 3);
    assert.match(fitOf(capacityOf(input), 'n').reason!, /^memory: 3GiB free, 1GiB each/);
  });

  it('a memory-only unbound request is limited by memory alone', () => {
    const input: PlanInput = {
      pod: 'p',
      policy,
      nodes: [wholeNode('n', 1, 100, { memory: 10 * GiB, memoryTotal: 10 * GiB })],
      request: deploy({ cpu: 0, memory: GiB, bind: false }),
    };
    assert.equal(capacityOf(input).total, 10);
  });
});

describe('strategies', () => {
  const policy = { sharebase: 100 as const, maxshare: -1 };
  const nodes = [
    wholeNode('a', 8, 100, { count: 2 }),
    wholeNode('b', 4, 100),
    wholeNode('c', 2, 100, { count: 1 }),
  ];
  const base = { pod: 'p', policy, nodes };

  it('AUTO evens out instances of the app, ties to most capacity', () => {
    // b (0) → b and c tie at 1, b has more left → c (1 → 2) → all at 2, a has most left.
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 4 }) }), { a: 1, b: 2, c: 1 });
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 1 }) }), { b: 1 });
  });

  it('FILL tops each node up to the count', () => {
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 2, strategy: 'FILL' }) }), { b: 2, c: 1 });
    assert.throws(() => planDeploy({ ...base, request: deploy({ count: 4, strategy: 'FILL' }) }), /cannot be topped up to 4/);
  });

  it('FILL with limit makes `limit` nodes hold the count; nodes already holding it count', () => {
    // a already holds 2: one node is enough, nothing to place.
    const one = planDeploy({ ...base, request: deploy({ count: 2, strategy: 'FILL', limit: 1 }) });
    assert.deepEqual(one.placements, []);
    assert.match(one.alreadyDone!, /already filled: 1 node\(s\) hold 2 or more \(a\); limit 1/);
    // Two: a, and c which is closest to 2.
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 2, strategy: 'FILL', limit: 2 }) }), { c: 1 });
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 2, strategy: 'FILL', limit: 3 }) }), { b: 2, c: 1 });
    // Three nodes at 4: a (2 → 4) and b (0 → 4) can, c (1 → 4, 2 cores) cannot.
    assert.throws(() => planDeploy({ ...base, request: deploy({ count: 4, strategy: 'FILL', limit: 3 }) }), /3 node\(s\) must hold 4: 0 already do and 2 more can reach it/);
  });

  it('FILL with limit on one usable node fails instead of topping that node up', () => {
    const nodes2 = [wholeNode('only', 8, 100), wholeNode('off', 8, 100, { bypass: true }), wholeNode('full', 1, 100)];
    assert.throws(() => planDeploy({ pod: 'p', policy, nodes: nodes2, request: deploy({ count: 2, strategy: 'FILL', limit: 3 }) }), SchedulingError);
  });

  it('AUTO with limit never puts more than `limit` of the app on a node, counting what it runs', () => {
    // a runs 2 and c 1: with limit 2, a takes none, c one, b two.
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 3, limit: 2 }) }), { b: 2, c: 1 });
    assert.throws(
      () => planDeploy({ ...base, request: deploy({ count: 4, limit: 2 }) }),
      (error: unknown) => error instanceof SchedulingError && /with at most 2 per node the pod can take 3 more; 4 asked/.test(error.message) && /at its limit: runs 2, limit 2/.test(JSON.stringify(error.details)),
    );
  });

  it('EACH puts the count on every node, or on the best `limit` nodes', () => {
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 2, strategy: 'EACH' }) }), { a: 2, b: 2, c: 2 });
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 3, strategy: 'EACH', limit: 2 }) }), { a: 3, b: 3 });
  });

  it('EACH leaves out a node without room and says why; strict refuses the whole deploy', () => {
    // c has 2 cores: 3 × 1 CPU do not fit there; a and b take 3 each.
    const partial = planDeploy({ ...base, request: deploy({ count: 3, strategy: 'EACH' }) });
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 3, strategy: 'EACH' }) }), { a: 3, b: 3 });
    assert.deepEqual(partial.leftOut, { c: 'can take 2, 3 asked on each node' });
    assert.throws(
      () => planDeploy({ ...base, request: deploy({ count: 3, strategy: 'EACH', strict: true }) }),
      (error: unknown) => error instanceof SchedulingError && /1 node\(s\) cannot take 3 each \(strict: all or nothing\)/.test(error.message),
    );
    // A node that is down or bypassed is left out too, with its reason; one outside the asked nodes is not mentioned.
    const more = [...nodes, wholeNode('d', 8, 100, { down: true }), wholeNode('e', 8, 100, { bypass: true })];
    const withDown = planDeploy({ pod: 'p', policy, nodes: more, request: deploy({ count: 1, strategy: 'EACH', filter: { names: ['a', 'c', 'd', 'e'], labels: {} } }) });
    assert.deepEqual(Object.keys(withDown.leftOut ?? {}).sort(), ['d', 'e']);
    assert.match(withDown.leftOut!.d!, /^down/);
    assert.deepEqual(new Set(withDown.placements.map((p) => p.node)), new Set(['a', 'c']));
    // Nothing placeable at all: refused, strict or not.
    assert.throws(() => planDeploy({ ...base, request: deploy({ count: 9, strategy: 'EACH' }) }), /no node can take 9/);
    // Every node fits: nothing left out.
    assert.equal(planDeploy({ ...base, request: deploy({ count: 1, strategy: 'EACH' }) }).leftOut, undefined);
  });

  it('DRAINED fills the smallest capacity first', () => {
    assert.deepEqual(perNode({ ...base, request: deploy({ count: 5, strategy: 'DRAINED' }) }), { c: 2, b: 3 });
  });

  it('GLOBAL evens out utilisation, not instance counts', () => {
    const busy = { ...wholeNode('busy', 4, 100), cpus: { '0': 0, '1': 0, '2': 100, '3': 100 } };
    const idle = wholeNode('idle', 4, 100);
    assert.deepEqual(perNode({ pod: 'p', policy, nodes: [busy, idle], request: deploy({ count: 2, strategy: 'GLOBAL' }) }), { idle: 2 });
    assert.deepEqual(perNode({ pod: 'p', policy, nodes: [busy, idle], request: deploy({ count: 4, strategy: 'GLOBAL' }) }), { busy: 1, idle: 3 });
  });

  it('filters by name and label, and skips bypassed nodes with a reason', () => {
    const labelled = [wholeNode('x', 2, 100, { labels: { ssd: 'yes' } }), wholeNode('y', 2, 100, { bypass: true }), wholeNode('z', 2, 100)];
    const report = capacityOf({ pod: 'p', policy, nodes: labelled, request: deploy({ filter: { names: [], labels: { ssd: 'yes' } } }) });
    assert.deepEqual(Object.fromEntries(report.nodes.map((f) => [f.node, f.capacity])), { x: 2, y: 0, z: 0 });
    assert.match(fitOf(report, 'y').reason!, /bypassed/);
    assert.match(fitOf(report, 'z').reason!, /label ssd=yes/);
    assert.deepEqual(perNode({ pod: 'p', policy, nodes: labelled, request: deploy({ count: 2, filter: { names: ['z'], labels: {} } }) }), { z: 2 });
  });
});

describe('errors say why', () => {
  const policy = { sharebase: 100 as const, maxshare: -1 };

  it('names the pod, the request, what fits and what was asked, with per-node reasons', () => {
    const nodes = [wholeNode('n1', 4, 100, { memory: 8 * GiB, memoryTotal: 8 * GiB }), wholeNode('n2', 8, 100, { memory: 2 * GiB })];
    try {
      planDeploy({ pod: 'p1', policy, nodes, request: deploy({ cpu: 1.5, memory: GiB, count: 10 }) });
      assert.fail('expected a scheduling error');
    } catch (error) {
      assert.ok(error instanceof SchedulingError);
      assert.equal(error.message, 'pod p1 can place 4 more of cpu=1.5 memory=1GiB bound; 10 asked');
      const nodesDetail = (error.details as { nodes: Record<string, string> }).nodes;
      assert.match(nodesDetail.n1!, /^2 more: cpu/);
      assert.match(nodesDetail.n2!, /^2 more: memory: 2GiB free/);
    }
  });

  const bad: Array<[string, Partial<DeployRequest>, string]> = [
    ['cpu 0 with bind', { cpu: 0 }, 'cpu'],
    ['negative cpu', { cpu: -1 }, 'cpu'],
    ['cpu finer than the sharebase', { cpu: 0.005 }, 'cpu'],
    ['negative memory', { memory: -1 }, 'memory'],
    ['unknown strategy', { strategy: 'SPREAD' as 'AUTO', count: 1 }, 'strategy'],
    ['EACH without a count', { strategy: 'EACH' }, 'count'],
    ['strict with AUTO', { count: 1, strict: true }, 'strict'],
    ['limit with GLOBAL', { strategy: 'GLOBAL', count: 1, limit: 2 }, 'limit'],
    ['limit with DRAINED', { strategy: 'DRAINED', count: 1, limit: 1 }, 'limit'],
  ];
  for (const [what, request, field] of bad) {
    it(`rejects ${what}, naming the field`, () => {
      assert.throws(
        () => planDeploy({ pod: 'p', policy, nodes: [wholeNode('n', 2, 100)], request: deploy(request), requestPath: ['deploy'] }),
        (error: unknown) => error instanceof EruError && error.code === 'INVALID_ARGUMENT' && error.path?.join('.') === `deploy.${field}`,
      );
    });
  }
});

describe('realloc', () => {
  const policy = { sharebase: 10 as const, maxshare: -1 };

  it('keeps the cores a workload has when it grows or shrinks', () => {
    const node = wholeNode('n', 6, 10);
    const first = allocate(node, toPieces({ cpu: 2.5, memory: 0, bind: true }, policy), policy)!;
    assert.deepEqual(first.placement.cpuset, { '0': 10, '1': 10, '5': 5 });
    const grown = planRealloc('n', first.resources, first.placement, { cpu: 3.5, memory: 0, bind: true }, policy);
    assert.deepEqual(grown.placement.cpuset, { '0': 10, '1': 10, '2': 10, '5': 5 });
    const shrunk = planRealloc('n', grown.resources, grown.placement, { cpu: 1.2, memory: 0, bind: true }, policy);
    assert.deepEqual(shrunk.placement.cpuset, { '0': 10, '5': 2 });
    assert.deepEqual(release(shrunk.resources, shrunk.placement, 10), node);
  });

  it('refuses what does not fit and leaves the ledger as it was', () => {
    const node = wholeNode('n', 2, 10);
    const first = allocate(node, toPieces({ cpu: 1, memory: 0, bind: true }, policy), policy)!;
    const snapshot = structuredClone(first.resources);
    assert.throws(() => planRealloc('n', first.resources, first.placement, { cpu: 2.5, memory: 0, bind: true }, policy), SchedulingError);
    assert.deepEqual(first.resources, snapshot);
  });
});
