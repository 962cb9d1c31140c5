import { event } from '../../bus/index.js';
import { randomSuffix } from '../../lib/ids.js';
import type { Intent, Workload } from '../../model/workload.js';
import { cloneResources, releasePlacement } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import { removeContainer } from '../deploy/containers.js';
import { reapplySharedPool } from '../deploy/shared-pool.js';
import { announceEndpoints } from '../networks/endpoints.js';
import { del, put, unchanged, type Versioned } from '../repositories.js';
import { optimistic } from '../retry.js';

/**
 * Removes a workload: its record and its reservation go in one transaction together with a removal
 * intent; then the container goes, then the intent with the workload's addresses. An address stays
 * held until its container is gone, so no other workload can be given it while Docker still has it.
 * A core dying in between leaves the intent, and recovery removes the container and frees the addresses.
 */
export async function removeWorkload(context: CoreContext, find: () => Promise<Versioned<Workload>>, now: () => Date): Promise<Workload> {
  const { repos, engines, owner, publish } = context;
  const removal = await optimistic('removing a workload', async () => {
    const workload = await find();
    const ledger = await repos.ledgers.get(workload.value.node);
    const intent: Intent = { id: `remove-${workload.value.id}-${randomSuffix()}`, kind: 'remove', owner, createdAt: now().toISOString(), workloads: [workload.value] };
    const workloadKey = repos.workloads.key(workload.value.id);
    const ops = [del(workloadKey), del(repos.statuses.key(workload.value.id)), put(repos.intents.key(intent.id), intent)];
    const compares = [unchanged(workloadKey, workload.revision)];
    const pod = await repos.pods.get(workload.value.pod);
    if (ledger && pod) {
      const released = cloneResources(ledger.value);
      releasePlacement(released, workload.value.placement, pod.value.sharebase);
      ops.push(put(repos.ledgers.key(workload.value.node), released));
      compares.push(unchanged(repos.ledgers.key(workload.value.node), ledger.revision));
    }
    return (await repos.commit(compares, ops)) ? intent : undefined;
  });
  const workload = removal.workloads[0]!;
  const nodes = new Map((await repos.nodes.list()).map((n) => [n.value.name, n.value]));
  await removeContainer(engines, nodes, workload);
  await repos.commit([], [...workload.addresses.map((a) => del(repos.addresses.key(a.network, a.address))), del(repos.intents.key(removal.id))]);
  if (workload.placement.cpuset) await reapplySharedPool(context, nodes, new Set([workload.node]));
  publish(event('workload.removed', { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id, data: { entry: workload.entry } }));
  await announceEndpoints(context, [workload.app]);
  return workload;
}
