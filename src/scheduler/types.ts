import { z } from 'zod';
import { NodeResourcesSchema, SharebaseSchema, StrategySchema, type Placement } from '../model/resources.js';
import { LIMIT_MEANING } from '../model/strategies.js';

/**
 * The scheduler's view of the world: a request, the candidate nodes (each a ledger from the model
 * plus what strategies and filters look at), and what comes out. One zod schema per object gives
 * the type and the validation.
 */

/** Settings that come from the pod and apply to every node in it. */
export const SchedulingPolicySchema = z.object({
  /** Pieces per core: 10 → 0.1 CPU granularity, 100 → 0.01, 1000 → 0.001. */
  sharebase: SharebaseSchema.default(100),
  /** Most cores of one node that may hold fragments; -1 = no cap. */
  maxshare: z.number().int().min(-1).default(-1),
});
export type SchedulingPolicy = z.infer<typeof SchedulingPolicySchema>;

/** A node as a candidate for one request: its ledger plus what the strategies and filters look at. */
export const CandidateNodeSchema = NodeResourcesSchema.extend({
  name: z.string().min(1),
  labels: z.record(z.string(), z.string()).default({}),
  /** Taken out of scheduling by an operator. */
  bypass: z.boolean().default(false),
  /** Its agent has gone quiet: the node is not scheduled on until it reports again. */
  down: z.boolean().optional(),
  /** Why it takes nothing new though it runs what it has (draining, declared gone), when so. */
  cordoned: z.string().optional(),
  /** Instances of the app/entrypoint being deployed that already run on the node. */
  count: z.number().int().min(0).default(0),
  /** It has a macvlan parent interface, so workloads on Eru's networks can land here. */
  macvlan: z.boolean().optional(),
  /** Host ports held on the node (`8080/tcp` → the workload holding it). */
  ports: z.record(z.string(), z.string()).optional(),
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
export const DeployRequestSchema = ResourceRequestSchema.extend({
  count: z.number().int().min(0).default(0),
  strategy: StrategySchema.default('AUTO'),
  limit: z.number().int().min(0).default(0).describe(LIMIT_MEANING),
  filter: NodeFilterSchema.optional(),
  /** The workloads join macvlan networks: only nodes with a macvlan parent will do. */
  macvlan: z.boolean().optional(),
  /** EACH: refuse the deploy when any node cannot take `count`, instead of leaving it out. */
  strict: z.boolean().optional(),
  /** Host ports each instance publishes (`8080/tcp`): a node where one is held cannot take it, and no node takes two. */
  ports: z.array(z.string()).optional(),
});
export type DeployRequest = z.infer<typeof DeployRequestSchema>;

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
  /** EACH without strict: the nodes of the pod left out, and why (too little room, down, bypassed...). */
  leftOut?: Record<string, string>;
}
