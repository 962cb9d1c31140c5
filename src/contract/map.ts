import { z } from 'zod';
import { LabelsSchema, NodeNameSchema } from '../model/names.js';
import { CoreIdSchema } from '../model/resources.js';
import { PodSchema } from '../model/pod.js';
import { CoreViewSchema } from './nodes.js';
import { WORKLOAD_KINDS, WORKLOAD_STATES } from './states.js';

/**
 * `GET /v1/pods/{pod}/map`: what the dashboard draws in one answer — every node of the pod as its
 * cores, who holds which pieces of each, how busy each core and workload was at the last heartbeat.
 * Compact on purpose: a pod of 1,000 nodes of 64 cores is one request.
 */
export const MapCoreSchema = CoreViewSchema.pick({ core: true, state: true, free: true, use: true }).extend({
  /** [workload id, pieces it holds on this core], largest first: one entry is an exclusive core. */
  holders: z.array(z.tuple([z.string(), z.number().int()])),
});
export type MapCore = z.infer<typeof MapCoreSchema>;

export const MapNodeSchema = z.object({
  name: NodeNameSchema,
  liveness: z.enum(['up', 'down', 'unknown']),
  /** When the agent last said the node is alive (absent once its lease lapsed). */
  heartbeat: z.string().optional(),
  reason: z.string().optional(),
  labels: LabelsSchema,
  bypass: z.boolean(),
  /** Being drained (`eru node drain`): nothing new lands here; since when, and its deadline. */
  draining: z.object({ since: z.string(), deadline: z.string() }).optional(),
  /** Declared gone (`eru node set --gone`). */
  gone: z.boolean().optional(),
  /** NUMA node → its cores, when the node has NUMA nodes declared. */
  numa: z.record(z.string(), z.array(CoreIdSchema)).optional(),
  memory: z.object({ total: z.number().int(), free: z.number().int() }),
  /** CPU (in cores) unbound workloads take from the node's shared pool. */
  unboundCpu: z.number(),
  /** Instances held on the node (deploys under way included), from its ledger. */
  instances: z.number().int().optional(),
  cores: z.array(MapCoreSchema),
});
export type MapNode = z.infer<typeof MapNodeSchema>;

export const MapWorkloadSchema = z.object({
  id: z.string(),
  app: z.string(),
  entry: z.string(),
  /** A job (eru run) holds its pieces while it runs, like a service's instance. */
  kind: z.enum(WORKLOAD_KINDS),
  node: z.string(),
  cpu: z.number(),
  memory: z.number().int(),
  state: z.enum(WORKLOAD_STATES),
  /** It has a health check (so a status event's `healthy` reads as healthy, not just running). */
  healthcheck: z.boolean(),
  /** CPU used over the last heartbeat interval, in cores. */
  use: z.number().optional(),
});
export type MapWorkload = z.infer<typeof MapWorkloadSchema>;

export const PodMapSchema = z.object({
  pod: PodSchema,
  nodes: z.array(MapNodeSchema),
  workloads: z.array(MapWorkloadSchema),
  /**
   * Set for a pod holding more workloads than one answer carries (MAP_DETAIL_WORKLOADS): the cores'
   * holders and the workloads are left out (each node says how many instances it holds); `eru ps
   * --node`, or the workloads page, lists a node's.
   */
  summarized: z.object({ workloads: z.number().int(), over: z.number().int() }).optional(),
  /** The pod's free CPU: cores with every piece free, and free pieces over all cores (in cores). */
  free: z.object({ wholeCores: z.number().int(), cpu: z.number(), memory: z.number().int() }),
});
export type PodMap = z.infer<typeof PodMapSchema>;
