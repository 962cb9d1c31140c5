import { z } from 'zod';
import { CoreIdSchema } from './resources.js';
import { DnsLabelSchema, LabelsSchema, NodeNameSchema } from './names.js';
import { InterfaceNameSchema } from './network.js';
import { SharedRootSchema } from './volume.js';

/** How the core reaches a node's Docker daemon: a unix socket, or TCP with TLS client certificates. */
export const EndpointSchema = z
  .string()
  .regex(/^(unix:\/\/\/\S+|tcp:\/\/[\w.-]+:\d{1,5}|sim:\/\/[a-z0-9][a-z0-9.-]{0,62}(\?[\w=&.-]*)?)$/, 'an endpoint is unix:///path/to/docker.sock or tcp://host:port (or sim://NAME?cores=N&memory=SIZE, a simulated engine)');

export const TlsSchema = z
  .object({
    ca: z.string().min(1).max(65536),
    cert: z.string().min(1).max(65536),
    key: z.string().min(1).max(65536),
  })
  .strict();
export type Tls = z.infer<typeof TlsSchema>;

export const NumaSchema = z.record(z.string().regex(/^\d+$/, 'a NUMA node id is a whole number'), z.array(CoreIdSchema).min(1));

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
  /** Cores kept for the host's own daemons (like kubelet's reserved CPUs): never scheduled on. */
  reservedCpus: z.array(CoreIdSchema).default([]),
  /** Memory Eru may hand out, in bytes. */
  memory: z.number().int().min(0),
  numa: NumaSchema.optional(),
  numaMemory: z.record(z.string(), z.number().int().min(0)).optional(),
  /** The interface MacVLAN networks sit on (without a VLAN suffix); without one, no macvlan workload lands here. */
  macvlanParent: InterfaceNameSchema.optional(),
  /** This node's own path to the pod's MooseFS, when it is not the pod's shared root. */
  sharedRoot: SharedRootSchema.optional(),
  engine: z.object({ version: z.string(), os: z.string(), cpus: z.number().int(), memory: z.number().int() }),
  /** Being emptied (`eru node drain`): nothing new lands here while kept services move off it. */
  draining: z.object({ since: z.string(), deadline: z.string() }).optional(),
  /**
   * Declared gone (`eru node set N --gone`): its instances were forgotten (their addresses and ports
   * freed, so fixed addresses may move) and it takes nothing new; the containers it still had are
   * `fenced`, removed as soon as its agent reports again.
   */
  gone: z.boolean().optional(),
  fenced: z.array(z.object({ id: z.string(), containerId: z.string().optional() })).optional(),
  createdAt: z.string(),
});

/** Why a node takes nothing new though it may run what it has, or undefined. */
export function cordonOf(node: Pick<Node, 'draining' | 'gone'>): string | undefined {
  if (node.gone) return 'gone: declared gone by an operator';
  if (node.draining) return 'draining: its instances are moving off it';
  return undefined;
}
export type Node = z.infer<typeof NodeSchema>;

