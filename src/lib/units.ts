import { invalid, type ErrorPath } from './errors.js';

const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses `512MiB`, `1.5GiB`, `64G`, or a plain number of bytes. */
export function parseMemory(value: unknown, path: ErrorPath): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) {
      throw invalid(path, `memory must be a whole, non-negative number of bytes, got ${value}`);
    }
    return value;
  }
  if (typeof value !== 'string') throw invalid(path, 'memory must be a number of bytes or a string such as 512MiB');
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match ? MEMORY_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw invalid(path, `cannot read memory size "${value}" (use bytes or a unit: KiB, MiB, GiB, TiB, K, M, G, T)`);
  }
  return Math.round(Number(match[1]) * unit);
}

/** In the largest binary unit it reaches: exact when it divides (1GiB, 512MiB), else one decimal (22.9GiB). */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) return bytes % size === 0 ? `${bytes / size}${unit}` : `${(bytes / size).toFixed(1)}${unit}`;
  }
  return `${bytes}B`;
}
