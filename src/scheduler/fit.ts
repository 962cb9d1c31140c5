import { formatMemory } from '../lib/units.js';
import { NodeWorkspace } from './allocate.js';
import type { PieceRequest } from './request.js';
import type { NodeResources } from '../model/resources.js';
import type { NodeCapacity, SchedulingPolicy } from './types.js';

/**
 * Stage "fit": how many more instances of a request one node can take, and why no more.
 * Capacity is the minimum over three independent limits: memory, the node's CPU total (which
 * unbound workloads share), and, for bound requests, the cores (whole cores and fragment room).
 * This runs for every node of a pod on every deploy, so it makes one pass over the cores and
 * builds only the reason of the limit that binds.
 */

/** A node with no limit in any asked dimension still reports a finite figure. */
export const UNLIMITED_INSTANCES = 1_000_000;

export function freePieces(cpus: NodeResources['cpus']): number {
  let total = 0;
  for (const f of Object.values(cpus)) total += f;
  return total;
}

type LimitKind = 'memory' | 'cpu' | 'cores' | 'maxshare' | 'none';

/**
 * A node's capacity and what limits it. The reason text is only built when read: a capacity over
 * 100,000 nodes should not format 100,000 sentences nobody looks at.
 */
export class NodeFit implements NodeCapacity {
  constructor(
    readonly node: string,
    readonly capacity: number,
    private readonly limit: LimitKind,
    private readonly request: PieceRequest,
    private readonly policy: SchedulingPolicy,
    /** memory: free bytes; cpu: pieces left; cores: whole free cores; maxshare: shared cores. */
    private readonly amount: number,
    private readonly unboundPieces: number,
  ) {}

  get reason(): string {
    const { request, policy, amount } = this;
    switch (this.limit) {
      case 'memory':
        return `memory: ${formatMemory(amount)} free, ${formatMemory(request.memory)} each`;
      case 'cpu':
        return `cpu: ${amount / policy.sharebase} CPU left on the node (unbound workloads hold ${this.unboundPieces / policy.sharebase}), ${request.pieces / policy.sharebase} each`;
      case 'maxshare':
        return `cpu: maxshare ${policy.maxshare} reached (${amount} shared cores), no fragment room for ${request.fragment} pieces`;
      case 'cores':
        return request.fragment === 0
          ? `cpu: ${amount} whole free cores, ${request.full} each`
          : `cpu: no room for ${request.full} whole cores plus a ${request.fragment}-piece fragment`;
      case 'none':
        return 'no limit in the asked resources';
    }
  }

  toJSON(): NodeCapacity {
    return { node: this.node, capacity: this.capacity, reason: this.reason };
  }
}

export function nodeCapacity(
  node: string,
  resources: NodeResources,
  request: PieceRequest,
  policy: SchedulingPolicy,
): NodeFit {
  if (request.bind && resources.numa) return simulatedCapacity(node, resources, request, policy);
  const { sharebase, maxshare } = policy;
  const { full, fragment } = request;

  // One pass over the cores: the CPU total and whole free cores; then the shared cores: how many,
  // and how many more fragments fit on them.
  let totalFree = 0;
  let whole = 0;
  let slots = 0;
  let sharedCores = 0;
  // A memory-only request (unbound, cpu 0) needs nothing from the cores.
  const cpus = request.pieces === 0 && !request.bind ? [] : Object.values(resources.cpus);
  for (const f of cpus) {
    totalFree += f;
    if (f === sharebase) whole++;
  }
  if (request.bind) {
    for (const core in resources.shared) {
      const f = resources.cpus[core];
      if (f === undefined) continue;
      sharedCores++;
      // A shared core is never whole, even with every piece free for a moment: it has holders.
      if (f === sharebase) whole--;
      if (fragment > 0) slots += Math.floor(f / fragment);
    }
  }

  const memoryCount =
    request.memory === 0 || resources.memory === null ? UNLIMITED_INSTANCES : Math.floor(resources.memory / request.memory);
  const cpuLeft = totalFree - resources.unboundPieces;
  const cpuCount = request.pieces === 0 ? UNLIMITED_INSTANCES : Math.max(0, Math.floor(cpuLeft / request.pieces));
  const cores = request.bind ? coreCount(whole, slots, sharedCores, full, fragment, sharebase, maxshare) : null;

  // On a tie the more specific limit explains the figure: cores, then the CPU total, then memory.
  const capacity = Math.min(memoryCount, cpuCount, cores?.count ?? UNLIMITED_INSTANCES);
  const fit = (limit: LimitKind, amount: number): NodeFit =>
    new NodeFit(node, capacity, limit, request, policy, amount, resources.unboundPieces);
  if (cores && cores.count === capacity) return cores.maxshareReached ? fit('maxshare', cores.sharedCores) : fit('cores', whole);
  if (cpuCount === capacity && cpuCount < UNLIMITED_INSTANCES) return fit('cpu', cpuLeft);
  if (memoryCount === capacity && memoryCount < UNLIMITED_INSTANCES) return fit('memory', resources.memory!);
  return fit('none', 0);
}

/**
 * Bound capacity without NUMA, in O(cores): the same sequence NodeWorkspace.plan would take, followed
 * on counts instead of cores. Fragment slots in already-shared cores are used first (each takes
 * `full` whole cores as well); when none is left a whole core is split and becomes shared for good
 * (its fragments stay), which `maxshare` may refuse.
 */
function coreCount(
  whole: number,
  slots: number,
  sharedCores: number,
  full: number,
  fragment: number,
  sharebase: number,
  maxshare: number,
): { count: number; maxshareReached: boolean; sharedCores: number } {
  if (fragment === 0) return { count: Math.floor(whole / full), maxshareReached: false, sharedCores };
  let count = 0;
  for (;;) {
    if (slots > 0) {
      const take = full === 0 ? slots : Math.min(slots, Math.floor(whole / full));
      count += take;
      slots -= take;
      whole -= take * full;
      if (slots > 0) break; // whole cores ran out first
      continue;
    }
    if (whole < full + 1) break;
    if (maxshare >= 0 && sharedCores + 1 > maxshare) return { count, maxshareReached: true, sharedCores };
    whole -= full + 1;
    count++;
    sharedCores++;
    slots += Math.floor(sharebase / fragment) - 1;
  }
  return { count, maxshareReached: false, sharedCores };
}

/**
 * Bound capacity with NUMA: the allocations themselves, repeated on a workspace. NUMA memory steers
 * which cores a plan takes, so the limits are not independent here and are followed together.
 */
function simulatedCapacity(node: string, resources: NodeResources, request: PieceRequest, policy: SchedulingPolicy): NodeFit {
  const workspace = new NodeWorkspace(resources, policy);
  let capacity = 0;
  for (let plan = workspace.plan(request); plan && capacity < UNLIMITED_INSTANCES; plan = workspace.plan(request)) {
    workspace.apply(plan);
    capacity++;
  }
  const { memory, pieces, sharedCores } = workspace.left;
  const fit = (limit: LimitKind, amount: number): NodeFit =>
    new NodeFit(node, capacity, limit, request, policy, amount, resources.unboundPieces);
  if (memory !== null && memory < request.memory) return fit('memory', memory);
  if (pieces < request.pieces) return fit('cpu', pieces);
  if (request.fragment > 0 && policy.maxshare >= 0 && sharedCores >= policy.maxshare) return fit('maxshare', sharedCores);
  return fit('cores', 0);
}
