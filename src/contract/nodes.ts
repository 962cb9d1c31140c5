import { z } from 'zod';
import { MemorySizeSchema } from '../lib/validate.js';
import { LabelsSchema, NodeNameSchema } from '../model/names.js';
import { InterfaceNameSchema } from '../model/network.js';
import { NodeUsageSchema } from '../model/status.js';
import { EndpointSchema, NodeSchema, NumaSchema, TlsSchema } from '../model/node.js';
import { CoreIdSchema } from '../model/resources.js';
import { SharedRootSchema } from '../model/volume.js';

/** Adding a node: CPU and memory come from the daemon unless given. */
export const NodeCreateSchema = z
  .object({
    name: NodeNameSchema,
    endpoint: EndpointSchema,
    tls: TlsSchema.optional(),
    labels: LabelsSchema.default({}),
    /** A number of cores (0..N-1), or an explicit list of core ids. */
    cpu: z.number().int().min(1).max(4096).optional(),
    cpus: z.array(CoreIdSchema).min(1).max(4096).optional(),
    memory: MemorySizeSchema.optional(),
    numa: NumaSchema.optional(),
    numaMemory: z.record(z.string(), MemorySizeSchema).optional(),
    /** The interface macvlan networks sit on (checked on the node's daemon). */
    macvlanParent: InterfaceNameSchema.optional(),
    /** Cores kept out of scheduling for the host's own daemons. */
    reserveCpus: z.array(CoreIdSchema).max(4096).default([]),
    /** A tcp:// endpoint without TLS, said knowingly: the Docker API (root on the host) then crosses the network in clear. */
    insecure: z.boolean().default(false),
  })
  .strict()
  .superRefine((node, context) => {
    if (node.endpoint.startsWith('tcp://') && !node.tls && !node.insecure) {
      context.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message: 'a tcp:// endpoint without TLS sends the Docker API (root on that host) in clear: give tls (eru node add --tls-ca --tls-cert --tls-key), or say insecure (--insecure) on a network you trust',
      });
    }
  });
export type NodeCreate = z.infer<typeof NodeCreateSchema>;

export const NodePatchSchema = z
  .object({
    /** Replaces the labels; `null` values remove a label. */
    labels: z.record(z.string(), z.string().nullable()).optional(),
    bypass: z.boolean().optional(),
    cpu: z.number().int().min(1).max(4096).optional(),
    cpus: z.array(CoreIdSchema).min(1).max(4096).optional(),
    memory: MemorySizeSchema.optional(),
    /** The macvlan parent interface; null removes it (refused while macvlan workloads run there). */
    macvlanParent: InterfaceNameSchema.nullable().optional(),
    /** The cores kept for the host, as a whole new list ([] gives them all back); refused for cores in use. */
    reserveCpus: z.array(CoreIdSchema).max(4096).optional(),
    /** This node's own path to the pod's MooseFS (shared volumes); null falls back to the pod's. */
    sharedRoot: SharedRootSchema.nullable().optional(),
    /** Declared gone (a down node only): its instances are forgotten, fixed addresses may move, its containers go if it returns; false takes it back. */
    gone: z.boolean().optional(),
  })
  .strict();
export type NodePatch = z.infer<typeof NodePatchSchema>;

/** `POST /v1/nodes/{node}/drain`. */
export const DrainBodySchema = z
  .object({
    /** Seconds to wait for jobs (and moves) before saying what is left. */
    deadline: z.number().int().min(1).max(86400).default(600),
    /** At the deadline, remove what is left (jobs and workloads no service keeps) instead of leaving it. */
    force: z.boolean().default(false),
    /** Seconds a moved instance stays out of its endpoints before it stops. */
    drain: z.number().int().min(0).max(600).default(2),
  })
  .strict();
export type DrainBody = z.infer<typeof DrainBodySchema>;

/** One core in a node's CPU map. */
export const CoreViewSchema = z.object({
  core: CoreIdSchema,
  free: z.number().int(),
  used: z.number().int(),
  /** free: all pieces free; partial: some pieces taken (fragments); full: no piece free; reserved: kept for the host. */
  state: z.enum(['free', 'partial', 'full', 'reserved']),
  /** Workloads holding a fragment of this core; more than 0 makes it a shared core (maxshare counts these). */
  fragments: z.number().int().min(0),
  /** Measured use (0–1) over the agent's last heartbeat interval; absent without an alive agent. */
  use: z.number().min(0).max(1).optional(),
});

/** A node as the API shows it: never its TLS key, always its resources. */
export const NodeViewSchema = NodeSchema.omit({ tls: true }).extend({
  tls: z.boolean(),
  sharebase: z.number().int(),
  resources: z.object({
    cpuTotal: z.number(),
    cpuFree: z.number(),
    memoryTotal: z.number().int(),
    memoryFree: z.number().int(),
    unboundCpu: z.number(),
  }),
  cpuMap: z.array(CoreViewSchema),
  /** up/down from the node's agent; unknown while no agent has reported. */
  liveness: z.object({ state: z.enum(['up', 'down', 'unknown']), since: z.string().optional(), reason: z.string().optional() }),
  /** The agent's last heartbeat and what it measured (per core, per workload); absent when its lease lapsed. */
  usage: NodeUsageSchema.optional(),
});
export type NodeView = z.infer<typeof NodeViewSchema>;
export const NodeNameParamsSchema = z.object({ node: NodeNameSchema });
