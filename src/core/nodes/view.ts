import type { NodeView } from '../../contract/nodes.js';
import type { Node } from '../../model/node.js';
import type { Pod } from '../../model/pod.js';
import type { NodeResources } from '../../model/resources.js';
import type { NodeStatus, NodeUsage } from '../../model/status.js';

/** A node as the API shows it: never its TLS key; its resources, its CPU map, its agent's liveness and last measured use. */
export function view(node: Node, ledger: NodeResources, pod: Pod, status?: NodeStatus, usage?: NodeUsage): NodeView {
  const { tls, ...rest } = node;
  const sharebase = pod.sharebase;
  const schedulable = node.cpus.map((core) => {
    const free = ledger.cpus[core] ?? 0;
    const state = free === sharebase ? ('free' as const) : free === 0 ? ('full' as const) : ('partial' as const);
    return { core, free, used: sharebase - free, state, fragments: ledger.shared[core] ?? 0 };
  });
  const reserved = node.reservedCpus.map((core) => ({ core, free: 0, used: 0, state: 'reserved' as const, fragments: 0 }));
  const measured = (core: string): { use?: number } => (usage?.cpu[Number(core)] !== undefined ? { use: usage.cpu[Number(core)]! } : {});
  const cpuMap = [...schedulable, ...reserved].sort((a, b) => Number(a.core) - Number(b.core)).map((c) => ({ ...c, ...measured(c.core) }));
  const freePieces = schedulable.reduce((sum, c) => sum + c.free, 0) - ledger.unboundPieces;
  return {
    ...rest,
    tls: tls !== undefined,
    sharebase,
    resources: {
      cpuTotal: node.cpus.length,
      cpuFree: freePieces / sharebase,
      memoryTotal: node.memory,
      memoryFree: ledger.memory ?? node.memory,
      unboundCpu: ledger.unboundPieces / sharebase,
    },
    cpuMap,
    liveness: status ? { state: status.up ? 'up' : 'down', since: status.since, ...livenessReason(status, usage) } : { state: 'unknown' },
    ...(usage ? { usage } : {}),
  };
}

/** Why a node is down, or why an up node takes nothing new though its agent answers (its Docker does not). */
function livenessReason(status: NodeStatus, usage: NodeUsage | undefined): { reason?: string } {
  const reason = status.reason ?? (status.up ? usage?.engineError : undefined);
  return reason ? { reason } : {};
}
