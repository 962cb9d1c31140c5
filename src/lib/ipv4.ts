/** IPv4 addresses and subnets as numbers: parsing, printing, containment, overlap. Pure. */

const OCTETS = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The address as an unsigned 32-bit number, or null when it is not a dotted quad. */
export function parseIpv4(text: string): number | null {
  const match = OCTETS.exec(text);
  if (!match) return null;
  const octets = match.slice(1).map(Number);
  if (octets.some((o, i) => o > 255 || (match[i + 1]!.length > 1 && match[i + 1]!.startsWith('0')))) return null;
  return ((octets[0]! << 24) >>> 0) + (octets[1]! << 16) + (octets[2]! << 8) + octets[3]!;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

export interface Subnet {
  /** The network address. */
  base: number;
  prefix: number;
  /** The broadcast address. */
  last: number;
}

/** `10.20.0.0/24` → its network and broadcast addresses; null when malformed or when the address has host bits set. */
export function parseCidr(text: string): Subnet | null {
  const [address, prefixText, extra] = text.split('/');
  if (extra !== undefined || !address || !prefixText || !/^\d{1,2}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  const base = parseIpv4(address);
  if (base === null || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return null;
  return { base, prefix, last: base + size - 1 };
}

export function formatCidr(subnet: Subnet): string {
  return `${formatIpv4(subnet.base)}/${subnet.prefix}`;
}

export function contains(subnet: Subnet, address: number): boolean {
  return address >= subnet.base && address <= subnet.last;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return a.base <= b.last && b.base <= a.last;
}
