import { z } from 'zod';
import { DnsLabelSchema, NodeNameSchema } from '../model/names.js';
import { CidrSchema, Ipv4Schema, NetworkSchema } from '../model/network.js';
import { BooleanQuery } from './query.js';

/** Networks on the wire: adding one, what `show` tells, connecting workloads, and an app's endpoints. */

/** `FROM-TO`, both addresses inside the subnet. */
const RangeTextSchema = z.string().regex(/^\S+-\S+$/, 'a range FROM-TO, e.g. 10.20.0.10-10.20.0.99');

export const NetworkCreateSchema = z
  .object({
    name: DnsLabelSchema,
    subnet: CidrSchema,
    /** Default: the subnet's first address. */
    gateway: Ipv4Schema.optional(),
    /** Default: every address of the subnet but the network, broadcast and gateway addresses. */
    range: RangeTextSchema.optional(),
    vlan: z.number().int().min(1).max(4094).optional(),
    pods: z.array(DnsLabelSchema).max(256).default([]),
  })
  .strict();
export type NetworkCreate = z.input<typeof NetworkCreateSchema>;

export const NetworkNameParamsSchema = z.object({ network: DnsLabelSchema });

export const NetworkViewSchema = NetworkSchema.extend({
  /** Addresses Eru may hand out, and how many are held. */
  size: z.number().int(),
  used: z.number().int(),
  free: z.number().int(),
  /** Who holds what, by address. */
  holders: z.array(z.object({ address: Ipv4Schema, workload: z.string(), node: NodeNameSchema })),
});
export type NetworkView = z.infer<typeof NetworkViewSchema>;

/** A deploy's networks: a name, and optionally the fixed addresses of its instances (one each; `IP-IP` ranges allowed). */
export const DeployNetworkSchema = z
  .object({
    name: DnsLabelSchema,
    addresses: z.array(z.string().max(64)).max(10000).default([]),
  })
  .strict();

export const ConnectBodySchema = z.object({ network: DnsLabelSchema, address: Ipv4Schema.optional() }).strict();
export type ConnectBody = z.infer<typeof ConnectBodySchema>;

/** One place an app answers: a workload's address and the entrypoint's ports there. */
export const EndpointSchema = z.object({
  workload: z.string(),
  app: DnsLabelSchema,
  entry: z.string(),
  pod: DnsLabelSchema,
  node: NodeNameSchema,
  /** The macvlan network, `host`, or `published` (a port published on the node). */
  network: z.string(),
  address: z.string(),
  ports: z.array(z.string()),
  running: z.boolean(),
  healthy: z.boolean(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const EndpointQuerySchema = z
  .object({ entry: z.string().max(63).optional(), pod: DnsLabelSchema.optional(), healthy: BooleanQuery.optional() })
  .strict();
