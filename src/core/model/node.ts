import { z } from 'zod';
import { CoreIdSchema } from '../../scheduler/types.js';
import { MemorySizeSchema } from '../../lib/validate.js';
import { DnsLabelSchema, LabelsSchema, NodeNameSchema } from './names.js';

/** How the core reaches a node's Docker daemon: a unix socket, or TCP with TLS client certificates. */
export const EndpointSchema = z
  .string()
  .regex(/^(unix:\/\/\/\S+|tcp:\/\/[\w.-]+:\d{1,5})$/, 'an endpoint is unix:///path/to/docker.sock or tcp://host:port');

export const TlsSchema = z
  .object({
    ca: z.string().min(1).max(65536),
    cert: z.string().min(1).max(65536),
    key: z.string().min(1).max(65536),
  })
  .strict();
export type Tls = z.infer<typeof TlsSchema>;

const NumaSchema = z.record(z.string().regex(/^\d+$/, 'a NUMA node id is a whole number'), z.array(CoreIdSchema).min(1));

/** A node as stored. Its free resources live apart, in its ledger, so that labels never race a deploy. */
export const NodeSchema = z.object({
  name: NodeNameSchema,
  pod: DnsLabelSchema,
  endpoint: EndpointSchema,
  tls: TlsSchema.optional(),
  labels: LabelsSchema.default({}),
  bypass: z.boolean().default(false),
  /** The cores Eru may pin to, by id. */
  cpus: z.array(CoreIdSchema).min(1),
  /** Memory Eru may hand out, in bytes. */
  memory: z.number().int().min(0),
  numa: NumaSchema.optional(),
  numaMemory: z.record(z.string(), z.number().int().min(0)).optional(),
  engine: z.object({ version: z.string(), os: z.string(), cpus: z.number().int(), memory: z.number().int() }),
  createdAt: z.string(),
});
export type Node = z.infer<typeof NodeSchema>;

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
  })
  .strict();
export type NodeCreate = z.infer<typeof NodeCreateSchema>;

export const NodePatchSchema = z
  .object({
    /** Replaces the labels; `null` values remove a label. */
    labels: z.record(z.string(), z.string().nullable()).optional(),
    bypass: z.boolean().optional(),
    cpu: z.number().int().min(1).max(4096).optional(),
    cpus: z.array(CoreIdSchema).min(1).max(4096).optional(),
    memory: MemorySizeSchema.optional(),
  })
  .strict();
export type NodePatch = z.infer<typeof NodePatchSchema>;

/** One core in a node's CPU map. */
export const CoreViewSchema = z.object({
  core: CoreIdSchema,
  free: z.number().int(),
  used: z.number().int(),
  /** free: all pieces free; partial: some pieces taken (fragments); full: no piece free. */
  state: z.enum(['free', 'partial', 'full']),
  /** Workloads holding a fragment of this core; more than 0 makes it a shared core (maxshare counts these). */
  fragments: z.number().int().min(0),
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
});
export type NodeView = z.infer<typeof NodeViewSchema>;

export const PodNameParamsSchema = z.object({ pod: DnsLabelSchema });
export const NodeNameParamsSchema = z.object({ node: NodeNameSchema });
