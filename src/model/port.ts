import { z } from 'zod';
import { NodeNameSchema } from './names.js';

/**
 * Host ports: what a workload publishes on its node's address (`[IP:]PORT:CONTAINER_PORT[/proto]`).
 * A node's port is one resource whatever the address it is bound on (0.0.0.0 takes it on every
 * address, and Docker refuses a second binding of it on most): held by one workload at a time.
 */
export const PROTOCOLS = ['tcp', 'udp'] as const;

/** `8080/tcp`: how the scheduler and the store name a node's port. */
export type PortName = `${number}/${(typeof PROTOCOLS)[number]}`;

export interface HostPort {
  address: string;
  port: number;
  protocol: (typeof PROTOCOLS)[number];
}

/** The host ports a spec publishes (none in host mode: its ports are the host's own and not declared). */
export function hostPortsOf(spec: { publish: readonly string[]; hostNetwork?: boolean }): HostPort[] {
  if (spec.hostNetwork) return [];
  return spec.publish.map((publish) => {
    const [mapping, protocol = 'tcp'] = publish.split('/');
    const parts = mapping!.split(':');
    const [address, port] = parts.length === 3 ? [parts[0]!, parts[1]!] : ['127.0.0.1', parts[0]!];
    return { address, port: Number(port), protocol: protocol as HostPort['protocol'] };
  });
}

export function portName(port: Pick<HostPort, 'port' | 'protocol'>): PortName {
  return `${port.port}/${port.protocol}`;
}

/** Who holds a node's port: `/eru/ports/{node}/{port}-{proto}`. */
export const PortHolderSchema = z.object({ workload: z.string(), node: NodeNameSchema, address: z.string() });
export type PortHolder = z.infer<typeof PortHolderSchema>;
