import { z } from 'zod';
import { parseCidr, parseIpv4 } from '../lib/ipv4.js';
import { DnsLabelSchema, NodeNameSchema } from './names.js';

/**
 * Networks: MacVLAN (bridge mode) on each node's parent interface, an optional 802.1q VLAN, and an
 * address pool Eru owns in the store — an address is taken in the same transaction as the CPU
 * reservation and given back in the removal's, so it is never handed out twice and never leaks.
 */
export const Ipv4Schema = z.string().refine((a) => parseIpv4(a) !== null, 'an IPv4 address, e.g. 10.20.0.5');
export const CidrSchema = z.string().refine((c) => parseCidr(c) !== null, 'a subnet in CIDR form with no host bits, e.g. 10.20.0.0/24');

/** A network interface name on a host (Linux allows 15 characters). */
export const InterfaceNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, 'an interface name: letters, digits, . _ - (up to 15)');

export const NetworkSchema = z.object({
  name: DnsLabelSchema,
  /** The subnet, e.g. 10.20.0.0/24. */
  subnet: CidrSchema,
  gateway: Ipv4Schema,
  /** The addresses Eru hands out (both ends included); never the gateway, the network or the broadcast address. */
  range: z.object({ from: Ipv4Schema, to: Ipv4Schema }),
  /** An 802.1q VLAN: the parent on each node is then IFACE.VLAN. */
  vlan: z.number().int().min(1).max(4094).optional(),
  /** Pods allowed to use it; empty: every pod. */
  pods: z.array(DnsLabelSchema).default([]),
  createdAt: z.string(),
});
export type Network = z.infer<typeof NetworkSchema>;

/** Who holds an address: one key per held address, `/eru/addresses/{network}/{address}`. */
export const AddressHolderSchema = z.object({ workload: z.string(), node: NodeNameSchema });
export type AddressHolder = z.infer<typeof AddressHolderSchema>;

/**
 * Where a network's pool handed out its last address: the next deploy starts after it, so an address
 * just given back is handed out again only once the pool wraps (as Docker's own IPAM does). A reused
 * address comes back at once with the same MAC (Docker derives it from the address), often on another
 * node, while switches and neighbours still send to the old port or cache the old entry.
 */
export const AddressCursorSchema = z.object({ last: Ipv4Schema });
export type AddressCursor = z.infer<typeof AddressCursorSchema>;

/** An address a workload holds; `fixed` when the deploy named it (it moves only with its node declared gone). */
export const WorkloadAddressSchema = z.object({ network: DnsLabelSchema, address: Ipv4Schema, fixed: z.boolean().optional() });
export type WorkloadAddress = z.infer<typeof WorkloadAddressSchema>;

/** Egress rate of a workload's macvlan interfaces: `100mbit`, `512kbit`, `1gbit`. */
export const RateSchema = z.string().regex(/^[1-9]\d{0,6}(kbit|mbit|gbit)$/, 'a rate such as 512kbit, 100mbit or 1gbit');

/** The parent interface of a network on a node: IFACE, or IFACE.VLAN with a VLAN. */
export function parentOf(network: Pick<Network, 'vlan'>, nodeParent: string): string {
  return network.vlan === undefined ? nodeParent : `${nodeParent}.${network.vlan}`;
}
