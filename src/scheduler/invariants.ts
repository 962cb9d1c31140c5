import { serviceOnNode, type NodeResources, type Placement } from '../model/resources.js';

/** Something holding resources on a node: a workload, or one of a deploy under way. */
export interface Holder {
  id: string;
  app: string;
  entry: string;
  node: string;
  placement: Omit<Placement, 'node'>;
}

/** Instances per service (`{app}_{entry}`) among these holders. */
export function heldCounts(holders: readonly Holder[]): Record<string, number> {
  const held: Record<string, number> = {};
  for (const holder of holders) held[serviceOnNode(holder)] = (held[serviceOnNode(holder)] ?? 0) + 1;
  return held;
}

/**
 * The ledger invariant: a node's ledger equals its full size less what its holders hold, core by
 * core (free pieces and fragment holders), in the shared pool and in memory; and no core held whole
 * by one holder is held by anyone else. Returns what differs, in words; nothing when the ledger is right.
 * The core checks it at start-up and after recovery; the tests check it after concurrent work.
 */
export function ledgerDrift(
  node: string,
  ledger: NodeResources,
  holders: readonly Holder[],
  declared: { sharebase: number; memory?: number | null },
): string[] {
  const { sharebase } = declared;
  const drift: string[] = [];
  const held = new Map<string, number>();
  const owners = new Map<string, string[]>();
  const fragments: Record<string, number> = {};
  let unbound = 0;
  let memory = 0;
  for (const holder of holders) {
    if (holder.node !== node) continue;
    memory += holder.placement.memory;
    if (!holder.placement.cpuset) unbound += holder.placement.pieces;
    for (const [core, pieces] of Object.entries(holder.placement.cpuset ?? {})) {
      held.set(core, (held.get(core) ?? 0) + pieces);
      owners.set(core, [...(owners.get(core) ?? []), `${holder.id}:${pieces}`]);
      if (pieces < sharebase) fragments[core] = (fragments[core] ?? 0) + 1;
    }
  }
  for (const [core, free] of Object.entries(ledger.cpus)) {
    const expected = sharebase - (held.get(core) ?? 0);
    if (free !== expected) drift.push(`node ${node} core ${core}: the ledger says ${free} pieces free, its holders leave ${expected} (${owners.get(core)?.join(' ') ?? 'none'})`);
    const list = owners.get(core) ?? [];
    if (list.length > 1 && list.some((o) => o.endsWith(`:${sharebase}`))) drift.push(`node ${node} core ${core} is held whole and shared: ${list.join(' ')}`);
    if ((ledger.shared[core] ?? 0) !== (fragments[core] ?? 0)) {
      drift.push(`node ${node} core ${core}: the ledger counts ${ledger.shared[core] ?? 0} fragments on it, its holders ${fragments[core] ?? 0}`);
    }
  }
  for (const core of held.keys()) if (!(core in ledger.cpus)) drift.push(`node ${node}: core ${core} is held but not in the ledger`);
  if (ledger.unboundPieces !== unbound) drift.push(`node ${node}: the ledger says unbound workloads hold ${ledger.unboundPieces} pieces, they hold ${unbound}`);
  if (declared.memory !== undefined && declared.memory !== null && ledger.memory !== null && ledger.memory !== declared.memory - memory) {
    drift.push(`node ${node}: the ledger says ${ledger.memory} bytes free, its holders leave ${declared.memory - memory}`);
  }
  // A ledger that does not count its services (one rebuilt from a node's view) is checked for its pieces only.
  const counted = ledger.held ? heldCounts(holders.filter((h) => h.node === node)) : {};
  for (const service of new Set([...Object.keys(counted), ...Object.keys(ledger.held ?? {})])) {
    const said = ledger.held?.[service] ?? 0;
    if (said !== (counted[service] ?? 0)) drift.push(`node ${node}: the ledger counts ${said} instances of ${service}, its holders are ${counted[service] ?? 0}`);
  }
  return drift;
}

/**
 * What a node's ledger should be, from its holders alone: each core's free pieces and fragment count,
 * the unbound pieces, the free memory — the cores (and the NUMA layout, the memory total) kept as the
 * ledger has them. `eru check --repair` writes it over a ledger that drifted.
 */
export function expectedLedger(ledger: NodeResources, holders: readonly Holder[], declared: { sharebase: number; memory?: number | null }): NodeResources {
  const cpus: Record<string, number> = Object.fromEntries(Object.keys(ledger.cpus).map((core) => [core, declared.sharebase]));
  const shared: Record<string, number> = {};
  let unboundPieces = 0;
  let memory = 0;
  for (const holder of holders) {
    memory += holder.placement.memory;
    if (!holder.placement.cpuset) unboundPieces += holder.placement.pieces;
    for (const [core, pieces] of Object.entries(holder.placement.cpuset ?? {})) {
      cpus[core] = (cpus[core] ?? declared.sharebase) - pieces;
      if (pieces < declared.sharebase) shared[core] = (shared[core] ?? 0) + 1;
    }
  }
  const freeMemory = declared.memory !== undefined && declared.memory !== null && ledger.memory !== null ? declared.memory - memory : ledger.memory;
  return { ...ledger, cpus, shared, unboundPieces, memory: freeMemory, held: heldCounts(holders) };
}
