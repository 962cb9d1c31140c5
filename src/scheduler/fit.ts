import { formatMemory } from '../lib/units.js';
import { applyPlacement, cloneResources, planInstance } from './allocate.js';
import { sumFree } from './cores.js';
import type { PieceRequest } from './request.js';
import type { NodeCapacity, NodeResources, SchedulingPolicy } from './types.js';

/**
 * Stage "fit": how many more instances of a request one node can take, and why no more.
 * Capacity is the minimum over three independent limits: memory, the node's CPU total (which
 * unbound workloads share), and, for bound requests, the cores (whole cores and fragment room).
 */

/** A node with no limit in any asked dimension still reports a finite figure. */
export const UNLIMITED_INSTANCES = 1_000_000;

interface Limit {
  count: number;
  reason: string;
}

export function nodeCapacity(resources: NodeResources, request: PieceRequest, policy: SchedulingPolicy): NodeCapacity {
  const limits: Limit[] =
    request.bind && resources.numa
      ? [simulatedLimit(resources, request, policy)]
      : [memoryLimit(resources, request), cpuTotalLimit(resources, request, policy.sharebase)];
  if (request.bind && !resources.numa) limits.push(coreLimit(resources, request, policy));
  let binding: Limit = { count: UNLIMITED_INSTANCES, reason: 'no limit in the asked resources' };
  for (const limit of limits) if (limit.count < binding.count) binding = limit;
  return { capacity: binding.count, reason: binding.reason };
}

function memoryLimit(resources: NodeResources, request: PieceRequest): Limit {
  if (request.memory === 0 || resources.memory === null) return { count: UNLIMITED_INSTANCES, reason: '' };
  return {
    count: Math.floor(resources.memory / request.memory),
    reason: `memory: ${formatMemory(resources.memory)} free, ${formatMemory(request.memory)} each`,
  };
}

function cpuTotalLimit(resources: NodeResources, request: PieceRequest, sharebase: number): Limit {
  if (request.pieces === 0) return { count: UNLIMITED_INSTANCES, reason: '' };
  const left = sumFree(resources.cpus) - resources.unboundPieces;
  return {
    count: Math.max(0, Math.floor(left / request.pieces)),
    reason: `cpu: ${left / sharebase} CPU left on the node (unbound workloads hold ${resources.unboundPieces / sharebase}), ${request.pieces / sharebase} each`,
  };
}

/**
 * Bound capacity without NUMA, in O(cores): the same sequence `planInstance` would take, followed on
 * counts instead of cores. Fragment slots in already-fragmented cores are used first (each takes
 * `full` whole cores as well); when none is left a whole core is split, which `maxshare` may refuse.
 * A fragmented core whose free pieces are not a multiple of the fragment stays fragmented forever
 * ("stuck"); those are the fragment cores that count against `maxshare` when the next split comes.
 */
function coreLimit(resources: NodeResources, request: PieceRequest, policy: SchedulingPolicy): Limit {
  const { sharebase, maxshare } = policy;
  const { full, fragment } = request;
  let whole = 0;
  let slots = 0;
  let stuck = 0;
  for (const id in resources.cpus) {
    const f = resources.cpus[id]!;
    if (f === sharebase) whole++;
    else if (f > 0 && fragment > 0) {
      slots += Math.floor(f / fragment);
      if (f % fragment !== 0) stuck++;
    }
  }
  const wholeReason = `cpu: ${whole} whole free cores`;
  if (fragment === 0) return { count: Math.floor(whole / full), reason: `${wholeReason}, ${full} each` };

  let count = 0;
  let blockedByMaxshare = false;
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
    if (maxshare >= 0 && stuck + 1 > maxshare) {
      blockedByMaxshare = true;
      break;
    }
    whole -= full + 1;
    count++;
    slots += Math.floor(sharebase / fragment) - 1;
    if (sharebase % fragment !== 0) stuck++;
  }
  const reason = blockedByMaxshare
    ? `cpu: maxshare ${maxshare} reached (${stuck} fragment cores), no fragment room for ${fragment} pieces`
    : `cpu: no room for ${full} whole cores plus a ${fragment}-piece fragment`;
  return { count, reason };
}

/**
 * Bound capacity with NUMA: the allocations themselves, repeated on a copy of the ledger. NUMA memory
 * steers which cores a plan takes, so the limits are not independent here and are followed together.
 */
function simulatedLimit(resources: NodeResources, request: PieceRequest, policy: SchedulingPolicy): Limit {
  const working = cloneResources(resources);
  let count = 0;
  for (let plan = planInstance(working, request, policy); plan; plan = planInstance(working, request, policy)) {
    applyPlacement(working, plan);
    if (++count >= UNLIMITED_INSTANCES) break;
  }
  const exhausted = [memoryLimit(working, request), cpuTotalLimit(working, request, policy.sharebase)].find((l) => l.count === 0);
  return {
    count,
    reason: exhausted?.reason ?? `cpu: no room for ${request.full} whole cores plus a ${request.fragment}-piece fragment`,
  };
}
