import { event } from '../../bus/index.js';
import type { NodeStatus } from '../../model/status.js';
import type { Workload } from '../../model/workload.js';
import { recordStatus } from '../agents/gateway.js';
import type { CoreContext } from '../context.js';
import { announceEndpointsOf } from '../networks/endpoints.js';
import { put, unchanged } from '../repositories.js';

/** Every node marked up whose alive key is gone (its lease lapsed): down, and its workloads not running. */
export async function markQuietNodesDown(context: CoreContext, nodeTtlSeconds: number): Promise<void> {
  const { repos } = context;
  const alive = await repos.alive.list();
  // Liveness from the mirror (every second, 5,000 nodes): a mark is guarded by the revision it shows.
  for (const { name: node, value: status, revision } of (await repos.mirrored.nodeStatus()).list()) {
    if (status.up && !alive.has(node)) await markDown(context, node, revision, nodeTtlSeconds);
  }
}

async function markDown(context: CoreContext, node: string, revision: number, nodeTtlSeconds: number): Promise<void> {
  const { repos, publish } = context;
  const down: NodeStatus = { up: false, since: new Date().toISOString(), reason: `no heartbeat for ${nodeTtlSeconds} s` };
  if (!(await repos.commit([unchanged(repos.nodeStatus.key(node), revision)], [put(repos.nodeStatus.key(node), down)]))) return;
  const known = await repos.nodes.get(node);
  publish(event('node.down', { pod: known?.value.pod, node, data: { reason: down.reason } }));
  const changed: Workload[] = [];
  for (const { value: workload } of await repos.workloads.list()) {
    if (workload.node !== node) continue;
    if (await recordStatus(context, workload, { id: workload.id, running: false, healthy: false, reason: `node ${node} is down` })) changed.push(workload);
  }
  await announceEndpointsOf(context, changed);
}
