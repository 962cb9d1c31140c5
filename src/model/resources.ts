import { z } from 'zod';
import { STRATEGIES } from './strategies.js';

/**
 * What a node's CPU and memory are split into and who holds what: a node's ledger (what is free)
 * and a placement (what one workload holds). The scheduler plans with these; the store keeps them.
 */

export const SHAREBASES = [10, 100, 1000] as const;
/** Pieces per core: 10 → 0.1 CPU granularity, 100 → 0.01, 1000 → 0.001. */
export const SharebaseSchema = z.union([z.literal(10), z.literal(100), z.literal(1000)]);

/** Canonical whole numbers only ("3", not "03"): the scheduler relies on their numeric key order. */
export const CoreIdSchema = z.string().regex(/^(0|[1-9]\d{0,8})$/, 'a core id is a whole number without leading zeros');

/** What is free on one node: the node's resource ledger. */
export const NodeResourcesSchema = z.object({
  /** Free pieces per core; a core's full size is the pod's sharebase. */
  cpus: z.record(CoreIdSchema, z.number().int().min(0)),
  /**
   * The shared ("fragment") cores: core id → how many workloads hold a fragment of it. A core stays
   * shared while one fragment is on it, even when fragments fill it up; `maxshare` counts these.
   */
  // Ledgers written before shared cores were counted lack it; the core's start-up migration recounts them.
  shared: z.record(CoreIdSchema, z.number().int().min(1)).default({}),
  /** Pieces held by unbound workloads; they run on the shared pool and count against the node's CPU total. */
  unboundPieces: z.number().int().min(0).default(0),
  /** Free memory in bytes; null = memory is not a limit on this node. */
  memory: z.number().int().min(0).nullable().default(null),
  /** The node's declared memory, for utilisation (GLOBAL); null = unknown. */
  memoryTotal: z.number().int().min(0).nullable().default(null),
  /**
   * Instances held on the node per service (`{app}_{entry}`, serviceOnNode), deploys under way
   * included: what AUTO spreads by, kept beside the pieces and changed in the same transaction, so a
   * deploy reads no workload records. Absent from ledgers written before it was kept (the start-up
   * migration counts them).
   */
  held: z.record(z.string(), z.number().int().min(1)).optional(),
  /** NUMA layout: NUMA node id → its cores. */
  numa: z.record(z.string(), z.array(CoreIdSchema)).optional(),
  /** Free memory per NUMA node. */
  numaMemory: z.record(z.string(), z.number().int().min(0)).optional(),
});
export type NodeResources = z.infer<typeof NodeResourcesSchema>;

/** The key a node's ledger counts a service's instances under (`held`): `{app}_{entry}`, as its workloads' ids begin. */
export function serviceOnNode(holder: { app: string; entry: string }): string {
  return `${holder.app}_${holder.entry}`;
}

/** Where one instance goes and exactly what it takes there. */
export const PlacementSchema = z.object({
  node: z.string(),
  /** Core id → pieces taken; absent for unbound placements. */
  cpuset: z.record(CoreIdSchema, z.number().int().min(1)).optional(),
  /** CPU pieces taken in all (bound: the sum of cpuset; unbound: from the shared pool). */
  pieces: z.number().int().min(0),
  memory: z.number().int().min(0),
  /** The NUMA node the plan fits inside, when it does. */
  numa: z.string().optional(),
});
export type Placement = z.infer<typeof PlacementSchema>;

export const StrategySchema = z.enum(STRATEGIES);
