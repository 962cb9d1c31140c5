import { EruError, ErrorCode, conflict, invalid, type ErrorPath } from '../../lib/errors.js';
import { contains, formatIpv4, parseCidr, parseIpv4, type Subnet } from '../../lib/ipv4.js';
import type { AddressHolder, Network } from '../../model/network.js';

/** A network's address pool: which addresses Eru hands out, and picking them. Pure. */
export interface Pool {
  subnet: Subnet;
  gateway: number;
  from: number;
  to: number;
}

export function poolOf(network: Pick<Network, 'subnet' | 'gateway' | 'range'>): Pool {
  return { subnet: parseCidr(network.subnet)!, gateway: parseIpv4(network.gateway)!, from: parseIpv4(network.range.from)!, to: parseIpv4(network.range.to)! };
}

/** In the range, and not the network, broadcast or gateway address (a /31 or /32 has neither of the first two). */
export function assignable(pool: Pool, address: number): boolean {
  const { subnet } = pool;
  const hasEnds = subnet.prefix <= 30;
  return address >= pool.from && address <= pool.to && address !== pool.gateway && !(hasEnds && (address === subnet.base || address === subnet.last));
}

export function poolSize(pool: Pool): number {
  let size = pool.to - pool.from + 1;
  for (const special of new Set([pool.gateway, ...(pool.subnet.prefix <= 30 ? [pool.subnet.base, pool.subnet.last] : [])])) {
    if (special >= pool.from && special <= pool.to) size--;
  }
  return size;
}

/** `10.0.0.5` and `10.0.0.5-10.0.0.9` → the addresses, in order. */
export function expandAddresses(specs: readonly string[], path: ErrorPath): string[] {
  return specs.flatMap((spec, i) => {
    const [fromText, toText, extra] = spec.split('-');
    const from = parseIpv4(fromText ?? '');
    const to = toText === undefined ? from : parseIpv4(toText);
    if (from === null || to === null || extra !== undefined) throw invalid([...path, i], `"${spec}" is not an IPv4 address or a range FROM-TO`);
    if (to < from) throw invalid([...path, i], `range ${spec} goes backwards`);
    if (to - from >= 10_000) throw invalid([...path, i], `range ${spec} holds more than 10000 addresses`);
    return Array.from({ length: to - from + 1 }, (_, k) => formatIpv4(from + k));
  });
}

/**
 * The addresses for `count` new holders: the fixed ones asked for (each checked: inside the network,
 * handed out by it, not held, not twice), or the next free ones after `after` (the pool's cursor, see
 * AddressCursorSchema), wrapping round to the start of the range. Refused before anything is made.
 */
export function pickAddresses(network: Network, held: ReadonlyMap<string, AddressHolder>, count: number, fixed: readonly string[], path: ErrorPath, after?: string): string[] {
  const pool = poolOf(network);
  if (fixed.length > 0) {
    if (fixed.length !== count) throw invalid(path, `${fixed.length} address(es) given for ${count} instance(s) on network ${network.name}: give one each`);
    const seen = new Set<string>();
    fixed.forEach((address, i) => {
      const value = parseIpv4(address)!;
      if (!contains(pool.subnet, value)) throw invalid([...path, i], `${address} is outside network ${network.name} (${network.subnet})`);
      if (!assignable(pool, value)) {
        throw invalid([...path, i], `${address} is not handed out by network ${network.name} (range ${network.range.from}-${network.range.to}; never the gateway, network or broadcast address)`);
      }
      if (seen.has(address)) throw invalid([...path, i], `${address} is asked for twice`);
      seen.add(address);
      const holder = held.get(address);
      if (holder) throw conflict(`address ${address} of network ${network.name} is held by ${holder.workload} on ${holder.node}`, { address, holder });
    });
    return [...fixed];
  }
  const picked: string[] = [];
  const cursor = after === undefined ? null : parseIpv4(after);
  const start = cursor !== null && cursor >= pool.from && cursor < pool.to ? cursor + 1 : pool.from;
  const span = pool.to - pool.from + 1;
  for (let step = 0; step < span && picked.length < count; step++) {
    const address = pool.from + ((start - pool.from + step) % span);
    const text = formatIpv4(address);
    if (assignable(pool, address) && !held.has(text)) picked.push(text);
  }
  if (picked.length < count) {
    const free = poolSize(pool) - held.size;
    throw new EruError(ErrorCode.INSUFFICIENT_CAPACITY, `network ${network.name} has ${free} free address${free === 1 ? '' : 'es'}; ${count} asked`, {
      path,
      details: { network: network.name, free, asked: count },
    });
  }
  return picked;
}

/** The cursor after a pick: the last address handed out (kept as it was when the pick was of fixed ones). */
export function cursorAfter(picked: readonly string[], fixed: readonly string[], before: string | undefined): string | undefined {
  return fixed.length > 0 ? before : (picked.at(-1) ?? before);
}
