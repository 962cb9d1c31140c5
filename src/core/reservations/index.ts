import type { Compare, TxnOp } from '../../store/types.js';

/**
 * What a workload holds, taken and given back in one place per kind (Kubernetes' Reserve and
 * Unreserve side by side): `ledger.ts` cores and memory, `addresses.ts` addresses on Eru's networks,
 * `ports.ts` host ports, `volumes.ts` shared volumes. Each `take…`/`give…` returns its part of ONE store
 * transaction — the compares that guard it and its writes — and the use case (deploy, rollback,
 * removal, realloc, connect, replace, recovery) commits the parts together. Nothing else in the core
 * writes a ledger, an address pool or a port map; adding a kind of holding is one new file here.
 */
export interface TxnPart {
  compares: Compare[];
  ops: TxnOp[];
}

export const NOTHING: TxnPart = Object.freeze({ compares: [], ops: [] }) as TxnPart;

/** Several parts as one transaction's. */
export function combine(...parts: TxnPart[]): TxnPart {
  return { compares: parts.flatMap((p) => p.compares), ops: parts.flatMap((p) => p.ops) };
}
