import { hostPortsOf } from '../../model/port.js';
import type { Workload } from '../../model/workload.js';

/**
 * etcd's default limit on one transaction (`--max-txn-ops`, 128): its compares, and its writes, may
 * each number at most this many. A deploy of many instances is reserved and committed in parts that
 * each keep within it.
 */
export const MAX_TXN_OPS = 128;

/** Writes a part's commit makes per instance (its record, its first status, its boost key) and for the part (the intent's delete, the service record, the shared spec). */
const COMMIT_OPS_PER_INSTANCE = 3;
const COMMIT_OPS_PER_PART = 3;

/** What one part's reserve and commit transactions hold, counted as they would be written. */
interface PartSize {
  compares: number;
  writes: number;
  commitWrites: number;
  nodes: Set<string>;
}

const fits = (size: PartSize): boolean => size.compares <= MAX_TXN_OPS && size.writes <= MAX_TXN_OPS && size.commitWrites <= MAX_TXN_OPS;

/** The part with one more instance, or null when it would no longer fit. */
function grown(size: PartSize, workload: Workload): PartSize | null {
  const newNode = !size.nodes.has(workload.node);
  // A new node: its ledger compared and written, and its keep-list entry per shared volume.
  const perNode = newNode ? 1 : 0;
  const held = workload.addresses.length + hostPortsOf(workload).length;
  const next: PartSize = {
    compares: size.compares + perNode + held,
    writes: size.writes + perNode * (1 + workload.shared.length) + held,
    commitWrites: size.commitWrites + COMMIT_OPS_PER_INSTANCE,
    nodes: newNode ? new Set([...size.nodes, workload.node]) : size.nodes,
  };
  return fits(next) ? next : null;
}

/**
 * Splits a deploy's planned instances into parts each reserved (and later committed) in one
 * transaction within MAX_TXN_OPS: in plan order, a node's instances kept together where they fit.
 * The first part also moves the address cursors and every part writes its intent (with the shared
 * spec its workloads name, core/specs.ts), its shared volumes' records, and on commit deletes the
 * intent and writes the service record: counted up front.
 */
export function splitIntoParts(workloads: readonly Workload[]): Workload[][] {
  const first = workloads[0];
  if (!first) return [];
  const fixed = (isFirst: boolean): PartSize => ({
    compares: 1 + first.shared.length,
    writes: 2 + first.shared.length + (isFirst ? first.addresses.length : 0),
    commitWrites: COMMIT_OPS_PER_PART,
    nodes: new Set(),
  });
  const byNode = new Map<string, Workload[]>();
  for (const workload of workloads) byNode.set(workload.node, [...(byNode.get(workload.node) ?? []), workload]);
  const parts: Workload[][] = [];
  let part: Workload[] = [];
  let size = fixed(true);
  for (const onNode of byNode.values()) {
    for (const workload of onNode) {
      let next = grown(size, workload);
      if (!next) {
        parts.push(part);
        part = [];
        size = fixed(false);
        next = grown(size, workload);
        if (!next) throw new Error(`one instance needs more than ${MAX_TXN_OPS} operations in a transaction`);
      }
      part.push(workload);
      size = next;
    }
  }
  if (part.length > 0) parts.push(part);
  return parts;
}
