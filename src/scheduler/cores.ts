import type { NodeResources } from './types.js';

/**
 * A node's cores in id order, as parallel arrays: the form every stage works on.
 * Core ids are strings in the ledger ("0", "15"); order is numeric.
 */
export interface CoreTable {
  ids: string[];
  free: number[];
  index: Map<string, number>;
}

export function coreTable(cpus: NodeResources['cpus']): CoreTable {
  const ids = Object.keys(cpus).sort((a, b) => Number(a) - Number(b));
  const free = ids.map((id) => cpus[id]!);
  return { ids, free, index: new Map(ids.map((id, i) => [id, i])) };
}

export function sumFree(cpus: NodeResources['cpus']): number {
  let total = 0;
  for (const id in cpus) total += cpus[id]!;
  return total;
}

/** Cores holding some fragments but not full: what `maxshare` caps. */
export function countPartialCores(free: readonly number[], sharebase: number): number {
  let partial = 0;
  for (const f of free) if (f > 0 && f < sharebase) partial++;
  return partial;
}
