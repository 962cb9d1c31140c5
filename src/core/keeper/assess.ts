import type { Service } from '../../model/service.js';
import type { NodeStatus, WorkloadStatus } from '../../model/status.js';
import type { Workload } from '../../model/workload.js';

/** What the keeper sees of one service at one moment. */
export interface KeeperView {
  service: Service;
  instances: readonly Workload[];
  statuses: ReadonlyMap<string, WorkloadStatus>;
  nodeStatuses: ReadonlyMap<string, NodeStatus>;
  /** When the keeper first saw each instance exited (its own memory: a new leader starts afresh). */
  exitedSince: ReadonlyMap<string, number>;
  now: number;
}

/** What to do about it. */
export interface KeeperPlan {
  /** New instances to place elsewhere. */
  add: number;
  /** Instances on a node down past `lostAfter`, replaced by this plan (they stay recorded until their node returns or is declared gone). */
  lost: Workload[];
  /** Lost instances holding a fixed address: not replaced until their node is declared gone. */
  waiting: Workload[];
  /** Exited for good on a node that is up: removed once their replacements run. */
  exited: Workload[];
  /** Over the count with every node up: removed, lost-and-replaced ones first, then the oldest. */
  surplus: Workload[];
  /** Why nothing is done when something is amiss (a line for the log), or undefined. */
  holding?: string;
}

/** How long an instance must stay exited, with a restart policy that may bring it back, before it counts as gone. */
export const EXITED_GRACE_MS = 10_000;

/**
 * The keeper's decision for one service (pure: no I/O, no clock). An instance is
 *  - lost when its node has been down for `lostAfter` seconds (within that, it still counts: its node may
 *    come back);
 *  - exited when its container ended and Docker will not bring it back (restart "no", or on-failure after
 *    a clean exit), or has not for EXITED_GRACE_MS; one an operator stopped is neither, and counts;
 *  - live otherwise.
 * Lost and exited ones are made up for by new instances; a lost one with a fixed address waits for its
 * node to be declared gone. Surplus goes only when no node of the service is down, so an instance that
 * came back is weighed against the ones that stood in for it.
 */
export function assess(view: KeeperView): KeeperPlan {
  const { service, now } = view;
  const lost: Workload[] = [];
  const waiting: Workload[] = [];
  const exited: Workload[] = [];
  const live: Workload[] = [];
  let anyDown = false;
  for (const instance of view.instances) {
    const nodeStatus = view.nodeStatuses.get(instance.node);
    if (nodeStatus && !nodeStatus.up) {
      anyDown = true;
      if (now - Date.parse(nodeStatus.since) < service.lostAfter * 1000) live.push(instance);
      else if (instance.addresses.some((a) => a.fixed)) waiting.push(instance);
      else lost.push(instance);
      continue;
    }
    if (isExited(instance, view.statuses.get(instance.id), view.exitedSince.get(instance.id), now)) exited.push(instance);
    else live.push(instance);
  }
  const count = service.count ?? view.instances.length;
  // Lost ones already replaced are not replaced twice: their replacements are live.
  const add = Math.max(0, count - live.length - waiting.length);
  const replacedLost = new Set(service.replaced);
  const surplus =
    anyDown || live.length <= count
      ? []
      : [...live].sort((a, b) => Number(replacedLost.has(b.id)) - Number(replacedLost.has(a.id)) || a.createdAt.localeCompare(b.createdAt)).slice(0, live.length - count);
  const holding = waiting.length > 0 ? `${waiting.map((w) => w.id).join(', ')} hold fixed addresses on a down node: replaced once the node is declared gone (eru node set NODE --gone)` : undefined;
  return { add, lost: lost.filter((w) => !replacedLost.has(w.id)), waiting, exited, surplus, ...(holding ? { holding } : {}) };
}

function isExited(instance: Workload, status: WorkloadStatus | undefined, since: number | undefined, now: number): boolean {
  if (instance.stoppedAt !== undefined || !status || status.running || status.exitCode === undefined) return false;
  const restart = instance.restart;
  const dockerGivesUp = restart === 'no' || (restart.startsWith('on-failure') && status.exitCode === 0);
  return dockerGivesUp || (since !== undefined && now - since >= EXITED_GRACE_MS);
}
