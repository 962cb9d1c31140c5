import type { CpuSettings } from '../model/workload.js';
import type { NodeResources, Placement } from '../model/resources.js';

/**
 * From a placement to the Docker CPU settings that make it true (DESIGN.md, resource model), computed
 * here once; the workload record keeps them whole and everything else reads them from there:
 * - bound: CpusetCpus = its cores; CpuShares = 1024 × fragment / sharebase (1024 with no fragment);
 *   with a fragment also a CFS quota of cpu × period, because shares alone leak the shared core's
 *   time to whoever is busy on it; whole cores only get no quota (pinned work is never throttled);
 * - unbound: the node's shared pool (cores nobody holds exclusively) under a quota of cpu × period.
 */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas under 1 ms. */
const MIN_QUOTA_US = 1_000;
/** Docker's smallest CpuShares. */
const MIN_SHARES = 2;

export type DockerCpu = CpuSettings;
type PlacementOnNode = Omit<Placement, 'node'>;

export function sortCores(cores: Iterable<string>): string[] {
  return [...cores].sort((a, b) => Number(a) - Number(b));
}

/**
 * The CPU settings of `placement`, where `pool` is the node's shared pool (sharedPool, or
 * ledgerPool): the cores an unbound workload runs on.
 */
export function cpuFor(placement: PlacementOnNode, sharebase: number, pool: string): CpuSettings {
  const quota = (pieces: number): number => Math.max(MIN_QUOTA_US, Math.round((pieces / sharebase) * CFS_PERIOD_US));
  if (placement.cpuset) {
    const cores = sortCores(Object.keys(placement.cpuset));
    const fragment = Object.values(placement.cpuset).find((pieces) => pieces < sharebase) ?? 0;
    return {
      cpusetCpus: cores.join(','),
      cpuShares: fragment > 0 ? Math.max(MIN_SHARES, Math.round((1024 * fragment) / sharebase)) : 1024,
      cpuQuota: fragment > 0 ? quota(placement.pieces) : 0,
      cpuPeriod: fragment > 0 ? CFS_PERIOD_US : 0,
      ...(placement.numa !== undefined ? { cpusetMems: placement.numa } : {}),
    };
  }
  return {
    cpusetCpus: pool,
    cpuShares: 1024,
    cpuQuota: placement.pieces > 0 ? quota(placement.pieces) : 0,
    cpuPeriod: placement.pieces > 0 ? CFS_PERIOD_US : 0,
  };
}

/** The node's cores that no bound placement holds whole (`0,3`): where unbound workloads run. */
export function sharedPool(nodeCores: readonly string[], placements: Iterable<PlacementOnNode>, sharebase: number): string {
  const exclusive = new Set<string>();
  for (const placement of placements) {
    for (const [core, pieces] of Object.entries(placement.cpuset ?? {})) if (pieces === sharebase) exclusive.add(core);
  }
  const pool = nodeCores.filter((core) => !exclusive.has(core));
  // Every core pinned whole: unbound work still needs somewhere to run, under its quota.
  return (pool.length > 0 ? sortCores(pool) : sortCores(nodeCores)).join(',');
}

/** A placement that holds a core whole: only taking or giving back such a one changes its node's shared pool. */
export function holdsWholeCore(placement: Pick<PlacementOnNode, 'cpuset'>, sharebase: number): boolean {
  return Object.values(placement.cpuset ?? {}).some((pieces) => pieces === sharebase);
}

/**
 * The shared pool as a node's ledger shows it: a core with nothing free that is not a fragment core
 * is held whole. The same cores as sharedPool of its holders, read without them.
 */
export function ledgerPool(nodeCores: readonly string[], ledger: Pick<NodeResources, 'cpus' | 'shared'>): string {
  const pool = nodeCores.filter((core) => !(ledger.cpus[core] === 0 && !(ledger.shared[core] ?? 0)));
  return (pool.length > 0 ? sortCores(pool) : sortCores(nodeCores)).join(',');
}

/** The settings a container starts with: its quota held back until it runs (core/cpu/boost.ts says why). */
export function withoutQuota(settings: CpuSettings): CpuSettings {
  return { ...settings, cpuQuota: 0, cpuPeriod: 0 };
}
