import { serviceOnNode, type NodeResources } from '../../model/resources.js';
import type { Workload } from '../../model/workload.js';
import { applyPlacement, cloneResources, releasePlacement } from '../../scheduler/index.js';
import { absent, del, put, unchanged, type Repositories, type Versioned } from '../repositories.js';
import type { TxnPart } from './index.js';

/**
 * Cores and memory: each node's ledger (what is free), guarded by the revision it was read at, so a
 * concurrent change to the same node makes the transaction fail and the caller read and plan again.
 */
export type Ledgers = ReadonlyMap<string, Versioned<NodeResources>>;
type Holder = Pick<Workload, 'node' | 'placement' | 'app' | 'entry'>;

/** The ledgers of these nodes as they are now (nodes without one are left out). */
export async function readLedgers(repos: Repositories, nodes: Iterable<string>): Promise<Map<string, Versioned<NodeResources>>> {
  const read = new Map<string, Versioned<NodeResources>>();
  await Promise.all(
    [...new Set(nodes)].map(async (node) => {
      const ledger = await repos.ledgers.get(node);
      if (ledger) read.set(node, ledger);
    }),
  );
  return read;
}

/** Each holder's change applied to its node's ledger as read; nodes without a ledger are skipped. */
function change(repos: Repositories, ledgers: Ledgers, holders: readonly Holder[], apply: (ledger: NodeResources, holder: Holder) => void): TxnPart {
  const next = new Map<string, NodeResources>();
  for (const holder of holders) {
    const read = ledgers.get(holder.node);
    if (!read) continue;
    const ledger = next.get(holder.node) ?? cloneResources(read.value);
    apply(ledger, holder);
    next.set(holder.node, ledger);
  }
  return {
    compares: [...next.keys()].map((node) => unchanged(repos.ledgers.key(node), ledgers.get(node)!.revision)),
    ops: [...next].map(([node, ledger]) => put(repos.ledgers.key(node), ledger)),
  };
}

/** Take: the holders' pieces and memory come off their nodes' ledgers, and each counts for its service there. */
export function takeCores(repos: Repositories, ledgers: Ledgers, sharebase: number, holders: readonly Holder[]): TxnPart {
  return change(repos, ledgers, holders, (ledger, holder) => {
    applyPlacement(ledger, holder.placement, sharebase);
    count(ledger, holder, +1);
  });
}

/** Give: the holders' pieces and memory go back to their nodes' ledgers, and they no longer count there. */
export function giveCores(repos: Repositories, ledgers: Ledgers, sharebase: number, holders: readonly Holder[]): TxnPart {
  return change(repos, ledgers, holders, (ledger, holder) => {
    releasePlacement(ledger, holder.placement, sharebase);
    count(ledger, holder, -1);
  });
}

/** A service's instances on a node, one up or down (none left: its entry goes). */
function count(ledger: NodeResources, holder: Holder, by: 1 | -1): void {
  const held = (ledger.held ??= {});
  const key = serviceOnNode(holder);
  const next = (held[key] ?? 0) + by;
  if (next > 0) held[key] = next;
  else delete held[key];
}

/** In place (a realloc, and its undo): `from` given back and `to` taken on one node's ledger. */
export function moveCores(repos: Repositories, ledgers: Ledgers, sharebase: number, from: Holder, to: Holder): TxnPart {
  return change(repos, ledgers, [from], (ledger) => {
    releasePlacement(ledger, from.placement, sharebase);
    applyPlacement(ledger, to.placement, sharebase);
  });
}

/** A new node's ledger: all it declares is free. */
export function openLedger(repos: Repositories, node: string, resources: NodeResources): TxnPart {
  const key = repos.ledgers.key(node);
  return { compares: [absent(key)], ops: [put(key, resources)] };
}

/** A node's ledger replaced whole (cores reserved for the host, a start-up migration), guarded by its revision. */
export function rewriteLedger(repos: Repositories, node: string, revision: number, resources: NodeResources | Record<string, unknown>): TxnPart {
  const key = repos.ledgers.key(node);
  return { compares: [unchanged(key, revision)], ops: [put(key, resources)] };
}

/** Nothing written, but the transaction holds only if the node's ledger is as it was read. */
export function guardLedger(repos: Repositories, node: string, revision: number): TxnPart {
  return { compares: [unchanged(repos.ledgers.key(node), revision)], ops: [] };
}

/** A removed node's ledger, guarded by the revision that showed nothing on it. */
export function closeLedger(repos: Repositories, node: string, revision: number): TxnPart {
  const key = repos.ledgers.key(node);
  return { compares: [unchanged(key, revision)], ops: [del(key)] };
}
