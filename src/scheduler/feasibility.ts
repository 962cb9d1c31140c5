import type { CandidateNode, NodeFilter } from './types.js';

/**
 * Stage "feasibility": which nodes may take the request at all, before any arithmetic.
 * Each check is a small step behind one interface, in the manner of Kubernetes' filter plugins;
 * the first step that rejects a node gives the reason shown to the user.
 */
/** What of the request the checks look at. */
export interface FeasibilityRequest {
  macvlan?: boolean | undefined;
  ports?: readonly string[] | undefined;
}

export interface FeasibilityCheck {
  readonly name: string;
  /** Why the node cannot be used, or null when it can. */
  reject(node: CandidateNode, filter: NodeFilter | undefined, request: FeasibilityRequest): string | null;
}

export const bypassCheck: FeasibilityCheck = {
  name: 'bypass',
  reject: (node) => (node.bypass ? 'bypassed: taken out of scheduling' : null),
};

export const downCheck: FeasibilityCheck = {
  name: 'down',
  reject: (node) => (node.down ? 'down: its agent stopped reporting' : null),
};

export const cordonCheck: FeasibilityCheck = {
  name: 'cordon',
  reject: (node) => node.cordoned ?? null,
};

export const nameCheck: FeasibilityCheck = {
  name: 'names',
  reject: (node, filter) =>
    filter && filter.names.length > 0 && !filter.names.includes(node.name) ? 'not among the nodes asked for' : null,
};

export const labelCheck: FeasibilityCheck = {
  name: 'labels',
  reject: (node, filter) => {
    const wanted = filter?.labels;
    for (const key in wanted) {
      if (node.labels[key] !== wanted[key]) return `label ${key}=${wanted[key]} does not match`;
    }
    return null;
  },
};

export const macvlanCheck: FeasibilityCheck = {
  name: 'macvlan',
  reject: (node, _filter, request) =>
    request.macvlan && !node.macvlan ? `no macvlan parent for Eru's networks (eru node set ${node.name} --macvlan-parent IFACE)` : null,
};

/** A host port the request publishes is held on the node (Nomad's port collision, Kubernetes' NodePorts filter). */
export const portsCheck: FeasibilityCheck = {
  name: 'ports',
  reject: (node, _filter, request) => {
    for (const port of request.ports ?? []) {
      const holder = node.ports?.[port];
      if (holder !== undefined) return `host port ${port} is held by ${holder}`;
    }
    return null;
  },
};

export const DEFAULT_CHECKS: readonly FeasibilityCheck[] = [bypassCheck, downCheck, cordonCheck, nameCheck, labelCheck, macvlanCheck, portsCheck];

/** The checks that are the caller's own choice of nodes: a node they reject was never asked for. */
const CALLERS_CHOICE = new Set([nameCheck.name, labelCheck.name]);

export function feasibleNodes<T extends CandidateNode>(
  nodes: readonly T[],
  filter: NodeFilter | undefined,
  request: FeasibilityRequest = {},
  checks: readonly FeasibilityCheck[] = DEFAULT_CHECKS,
): { feasible: T[]; rejected: Map<string, string>; notAsked: Set<string> } {
  const feasible: T[] = [];
  const rejected = new Map<string, string>();
  const notAsked = new Set<string>();
  for (const node of nodes) {
    let reason: string | null = null;
    for (const check of checks) {
      reason = check.reject(node, filter, request);
      if (reason) {
        if (CALLERS_CHOICE.has(check.name)) notAsked.add(node.name);
        break;
      }
    }
    if (reason) rejected.set(node.name, reason);
    else feasible.push(node);
  }
  return { feasible, rejected, notAsked };
}
