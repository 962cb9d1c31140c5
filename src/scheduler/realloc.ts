import { applyPlacement, cloneResources, planInstance, releasePlacement, type InstancePlan } from './allocate.js';
import { describeRequest, SchedulingError, toPieces } from './request.js';
import type { NodeResources } from '../model/resources.js';
import type { ResourceRequest, SchedulingPolicy } from './types.js';

/**
 * Realloc: change a running workload's cpu/memory in place, on the same node. The plan is made
 * against the ledger with the workload's current pieces counted as its own (given back on a working
 * copy only, so nobody else can take them), preferring the cores it already has: the same exclusive
 * cores, the same fragment core, the same NUMA node. Pure; the ledger passed in is left as it was,
 * and the caller commits the result guarded by that ledger's revision, all at once.
 */
export function planRealloc(
  node: string,
  resources: NodeResources,
  current: InstancePlan,
  next: ResourceRequest,
  policy: SchedulingPolicy,
): { placement: InstancePlan; resources: NodeResources } {
  const pieceRequest = toPieces(next, policy);
  const working = cloneResources(resources);
  releasePlacement(working, current, policy.sharebase);
  const cores = Object.entries(current.cpuset ?? {});
  const plan = planInstance(working, pieceRequest, policy, {
    exclusive: new Set(cores.filter(([, pieces]) => pieces === policy.sharebase).map(([core]) => core)),
    fragment: cores.find(([, pieces]) => pieces < policy.sharebase)?.[0],
    numa: current.numa,
  });
  if (!plan) {
    throw new SchedulingError(`node ${node} cannot hold ${describeRequest(next)} in place of the workload's current share`, {
      nodes: { [node]: 'not enough free cores or memory once the current share is given back' },
    });
  }
  applyPlacement(working, plan, policy.sharebase);
  return { placement: plan, resources: working };
}
