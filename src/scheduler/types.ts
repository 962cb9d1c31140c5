import { z } from 'zod';

/**
 * The scheduler's view of the world. One zod schema per object gives the type and the validation;
 * the store keeps ledgers in this same shape.
 */

export const STRATEGIES = ['AUTO', 'FILL', 'EACH', 'GLOBAL', 'DRAINED'] as const;
export const StrategySchema = z.enum(STRATEGIES);
export type Strategy = z.infer<typeof StrategySchema>;

export const SHAREBASES = [10, 100, 1000] as const;
export const SharebaseSchema = z.union([z.literal(10), z.literal(100), z.literal(1000)]);

/** Settings that come from the pod and apply to every node in it. */
export const SchedulingPolicySchema = z.object({
  /** Pieces per core: 10 → 0.1 CPU granularity, 100 → 0.01, 1000 → 0.001. */
  sharebase: SharebaseSchema.default(100),
  /** Most cores of one node that may hold fragments; -1 = no cap. */
  maxshare: z.number().int().min(-1).default(-1),
});
export type SchedulingPolicy = z.infer<typeof SchedulingPolicySchema>;

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
  /** NUMA layout: NUMA node id → its cores. */
  numa: z.record(z.string(), z.array(CoreIdSchema)).optional(),
  /** Free memory per NUMA node. */
  numaMemory: z.record(z.string(), z.number().int().min(0)).optional(),
});
export type NodeResources = z.infer<typeof NodeResourcesSchema>;

/** A node as a candidate for one request: its ledger plus what the strategies and filters look at. */
export const CandidateNodeSchema = NodeResourcesSchema.extend({
  name: z.string().min(1),
  labels: z.record(z.string(), z.string()).default({}),
  /** Taken out of scheduling by an operator. */
  bypass: z.boolean().default(false),
  /** Its agent has gone quiet: the node is not scheduled on until it reports again. */
  down: z.boolean().optional(),
  /** Instances of the app/entrypoint being deployed that already run on the node. */
  count: z.number().int().min(0).default(0),
});
export type CandidateNode = z.infer<typeof CandidateNodeSchema>;

/** What one instance needs. */
export const ResourceRequestSchema = z.object({
  cpu: z.number().min(0).default(0),
  memory: z.number().int().min(0).default(0),
  bind: z.boolean().default(true),
});
export type ResourceRequest = z.infer<typeof ResourceRequestSchema>;

export const NodeFilterSchema = z.object({
  names: z.array(z.string()).default([]),
  labels: z.record(z.string(), z.string()).default({}),
});
export type NodeFilter = z.infer<typeof NodeFilterSchema>;

/** A deploy as the scheduler sees it: how many, how spread, where allowed. */
/** What `limit` means for each strategy; shown in `eru deploy --help`, the API document and the README. */
export const LIMIT_MEANING =
  'AUTO: at most this many instances of the app/entrypoint on any node, counting those it runs; ' +
  'FILL: make this many nodes hold `count` each (nodes already holding it count; none left to fill is a no-op); ' +
  'EACH: `count` on this many nodes, those with most room; GLOBAL, DRAINED: not allowed; 0: no limit';

export const DeployRequestSchema = ResourceRequestSchema.extend({
  count: z.number().int().min(0).default(0),
  strategy: StrategySchema.default('AUTO'),
  limit: z.number().int().min(0).default(0).describe(LIMIT_MEANING),
  filter: NodeFilterSchema.optional(),
});
export type DeployRequest = z.infer<typeof DeployRequestSchema>;

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

export interface NodeCapacity {
  node: string;
  capacity: number;
  /** Why no more fit: set whenever the node is the limit (including capacity 0). */
  reason?: string;
}

export interface CapacityReport {
  total: number;
  /** Per node, in the order the nodes were given. */
  nodes: NodeCapacity[];
}

export interface DeployPlan {
  capacity: CapacityReport;
  placements: Placement[];
  /** Set when nothing needed placing (FILL with every target node already at `count`): why. */
  alreadyDone?: string;
}
