import type { NodeResources } from '../../model/resources.js';

/** What a strategy sees of a node: its capacity for this request, and its ledger for how loaded it is. */
export interface StrategyNode {
  name: string;
  capacity: number;
  /** Instances of this app/entrypoint already on the node. */
  count: number;
  resources: NodeResources;
}

export interface StrategyInput {
  /** Feasible nodes, in the order the caller listed them. */
  nodes: readonly StrategyNode[];
  count: number;
  /** Meaning per strategy: see LIMIT_MEANING in ../types.ts; 0 is no limit. */
  limit: number;
  pieces: number;
  memory: number;
  sharebase: number;
  /** EACH: all or nothing, instead of leaving out the nodes that cannot take `count`. */
  strict?: boolean;
  /** Nodes of the pod that may not take anything (down, bypassed, no macvlan parent), with why; not the caller's filter. */
  unavailable?: ReadonlyMap<string, string>;
  /** How nodes that tie are ordered (tieOrder); by name without it. */
  tieBreak?: string;
}

/** Instances to add per node, or why the request cannot be met (with per-node reasons). */
export type Distribution =
  | { ok: true; counts: Map<string, number>; alreadyDone?: string; leftOut?: Record<string, string> }
  | { ok: false; reason: string; nodes?: Record<string, string> };

/** A strategy turns capacities into how many instances go where. Pure and deterministic. */
export interface DeployStrategy {
  /** True when the total asked is `count` (so a pod-wide shortfall can be reported up front). */
  readonly placesCountInTotal: boolean;
  distribute(input: StrategyInput): Distribution;
}

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The order of nodes that tie on everything a strategy weighs: by name, or — with a tie-break
 * string — by a hash of it with the name (FNV-1a), then by name. Deterministic for a given input.
 */
export function tieOrder(tieBreak: string | undefined): (a: { name: string }, b: { name: string }) => number {
  if (tieBreak === undefined) return byName;
  const hashes = new Map<string, number>();
  const hashOf = (name: string): number => {
    let hash = hashes.get(name);
    if (hash === undefined) {
      hash = 0x811c9dc5;
      for (const text of [tieBreak, '\0', name]) {
        for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
      }
      hashes.set(name, hash);
    }
    return hash;
  };
  return (a, b) => hashOf(a.name) - hashOf(b.name) || byName(a, b);
}
