import { coreTable, countPartialCores, sumFree, type CoreTable } from './cores.js';
import type { PieceRequest } from './request.js';
import type { NodeResources, Placement, SchedulingPolicy } from './types.js';

/**
 * Stage "allocate": the concrete cores for one instance on one node, and applying or releasing them
 * on the node's ledger. Capacity (fit.ts) must agree with this exactly: it is the number of times
 * `planInstance` + `applyPlacement` succeed in a row, which the property tests check.
 *
 * Bound rule: `full` cores that are entirely free (exclusive), plus one fragment core for the
 * fragment. The fragment goes to an already-fragmented core first (the fullest that fits), and
 * only then splits a whole free core, which `maxshare` may forbid.
 */

/** Cores to keep when re-planning a workload in place (realloc). */
export interface CorePreference {
  exclusive: ReadonlySet<string>;
  fragment?: string;
  numa?: string;
}

export type InstancePlan = Omit<Placement, 'node'>;

/** Plans one instance on `resources` without changing them; null when it does not fit. */
export function planInstance(
  resources: NodeResources,
  request: PieceRequest,
  policy: SchedulingPolicy,
  prefer?: CorePreference,
): InstancePlan | null {
  if (resources.memory !== null && resources.memory < request.memory) return null;
  if (sumFree(resources.cpus) - resources.unboundPieces < request.pieces) return null;
  if (!request.bind) return { pieces: request.pieces, memory: request.memory };

  const table = coreTable(resources.cpus);
  const partial = countPartialCores(table.free, policy.sharebase);
  for (const numa of numaOrder(resources, table, prefer?.numa)) {
    const numaFree = resources.numaMemory?.[numa];
    if (numaFree !== undefined && numaFree < request.memory) continue;
    const subset = (resources.numa?.[numa] ?? []).flatMap((id) => {
      const i = table.index.get(id);
      return i === undefined ? [] : [i];
    });
    const cpuset = pickCores(table, subset, request, policy, partial, prefer);
    if (cpuset) return { cpuset, pieces: request.pieces, memory: request.memory, numa };
  }
  const all = table.ids.map((_, i) => i);
  const cpuset = pickCores(table, all, request, policy, partial, prefer);
  return cpuset ? { cpuset, pieces: request.pieces, memory: request.memory } : null;
}

/** NUMA nodes to try: the preferred one, then the one with most free pieces, ties by id. */
function numaOrder(resources: NodeResources, table: CoreTable, preferred: string | undefined): string[] {
  if (!resources.numa) return [];
  const freeOf = (numa: string): number =>
    (resources.numa![numa] ?? []).reduce((sum, id) => sum + (table.free[table.index.get(id) ?? -1] ?? 0), 0);
  return Object.keys(resources.numa)
    .map((id) => ({ id, free: freeOf(id) }))
    .sort((a, b) => Number(b.id === preferred) - Number(a.id === preferred) || b.free - a.free || cmp(a.id, b.id))
    .map((n) => n.id);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Chooses cores among `subset` (indices into `table`, in id order). */
function pickCores(
  table: CoreTable,
  subset: readonly number[],
  request: PieceRequest,
  policy: SchedulingPolicy,
  partialCores: number,
  prefer: CorePreference | undefined,
): Record<string, number> | null {
  const { sharebase, maxshare } = policy;
  const { full, fragment } = request;
  const { ids, free } = table;

  let fragmentCore = -1;
  if (fragment > 0) {
    for (const i of subset) {
      const f = free[i]!;
      if (f <= 0 || f >= sharebase || f < fragment) continue;
      if (ids[i] === prefer?.fragment) {
        fragmentCore = i;
        break;
      }
      // The fullest core that still fits packs fragments tightest.
      if (fragmentCore < 0 || f < free[fragmentCore]!) fragmentCore = i;
    }
  }

  const whole = subset.filter((i) => free[i] === sharebase);
  const splitting = fragment > 0 && fragmentCore < 0;
  if (whole.length < full + (splitting ? 1 : 0)) return null;
  if (splitting) {
    if (maxshare >= 0 && partialCores + 1 > maxshare) return null;
    fragmentCore = chooseCoreToSplit(ids, whole, prefer);
  }

  const exclusive = whole
    .filter((i) => i !== fragmentCore)
    .sort((a, b) => Number(prefer?.exclusive.has(ids[b]!) ?? 0) - Number(prefer?.exclusive.has(ids[a]!) ?? 0) || a - b)
    .slice(0, full);
  const cpuset: Record<string, number> = {};
  for (const i of exclusive) cpuset[ids[i]!] = sharebase;
  if (fragment > 0) cpuset[ids[fragmentCore]!] = fragment;
  return cpuset;
}

/** A whole core to split for a fragment: the workload's old fragment core, else the highest free one,
 *  so exclusive cores stay low and contiguous. */
function chooseCoreToSplit(ids: readonly string[], whole: readonly number[], prefer: CorePreference | undefined): number {
  const old = whole.find((i) => ids[i] === prefer?.fragment);
  if (old !== undefined) return old;
  const notPreferred = [...whole].reverse().find((i) => !prefer?.exclusive.has(ids[i]!));
  return notPreferred ?? whole[whole.length - 1]!;
}

/** Takes a placement's resources from a ledger, in place. */
export function applyPlacement(resources: NodeResources, placement: InstancePlan): void {
  adjust(resources, placement, -1);
}

/** Gives a placement's resources back to a ledger, in place. */
export function releasePlacement(resources: NodeResources, placement: InstancePlan): void {
  adjust(resources, placement, +1);
}

function adjust(resources: NodeResources, placement: InstancePlan, sign: 1 | -1): void {
  if (placement.cpuset) {
    for (const [core, pieces] of Object.entries(placement.cpuset)) {
      resources.cpus[core] = (resources.cpus[core] ?? 0) + sign * pieces;
    }
  } else {
    resources.unboundPieces -= sign * placement.pieces;
  }
  if (resources.memory !== null) resources.memory += sign * placement.memory;
  if (placement.numa !== undefined && resources.numaMemory?.[placement.numa] !== undefined) {
    resources.numaMemory[placement.numa]! += sign * placement.memory;
  }
}

export function cloneResources<T extends NodeResources>(resources: T): T {
  return {
    ...resources,
    cpus: { ...resources.cpus },
    ...(resources.numaMemory ? { numaMemory: { ...resources.numaMemory } } : {}),
  };
}

/** Pure form: the ledger after placing one instance, or null. */
export function allocate<T extends NodeResources>(
  resources: T,
  request: PieceRequest,
  policy: SchedulingPolicy,
): { resources: T; placement: InstancePlan } | null {
  const placement = planInstance(resources, request, policy);
  if (!placement) return null;
  const next = cloneResources(resources);
  applyPlacement(next, placement);
  return { resources: next, placement };
}

/** Pure form: the ledger after giving a placement back. */
export function release<T extends NodeResources>(resources: T, placement: InstancePlan): T {
  const next = cloneResources(resources);
  releasePlacement(next, placement);
  return next;
}
