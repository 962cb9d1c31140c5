import { sharedPool } from '../../engine/cpu.js';
import { deadline } from '../../engine/docker.js';
import type { Node } from '../../model/node.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';
import { heldWorkloads } from '../workloads/held.js';

/**
 * When pins change on a node (a deploy, a removal, a resize), its unbound workloads get the new shared
 * pool: the cores nothing holds whole — recorded workloads, and deploys and jobs under way.
 */
export async function reapplySharedPool({ repos, engines, log }: CoreContext, nodes: Map<string, Node>, changed: Set<string>): Promise<void> {
  if (changed.size === 0) return;
  const holders = (await heldWorkloads(repos)).filter((h) => h.holdsPieces && changed.has(h.workload.node));
  const records = new Map((await repos.workloads.list()).map((w) => [w.value.id, w]));
  await Promise.all(
    [...changed].map(async (nodeName) => {
      const node = nodes.get(nodeName);
      const pod = node ? await repos.pods.get(node.pod) : null;
      if (!node || !pod) return;
      const onNode = holders.filter((h) => h.workload.node === nodeName).map((h) => h.workload);
      const pool = sharedPool(node.cpus, onNode.map((w) => w.placement), pod.value.sharebase);
      for (const workload of onNode.filter((w) => !w.placement.cpuset && w.cpuSettings.cpusetCpus !== pool)) {
        const record = records.get(workload.id);
        if (!record) continue; // still being made: its deploy gives it the pool it read
        try {
          await engines.get(node).getContainer(workload.id).update({ CpusetCpus: pool, ...deadline() });
          const key = repos.workloads.key(workload.id);
          await repos.commit([unchanged(key, record.revision)], [put(key, { ...record.value, cpuSettings: { ...record.value.cpuSettings, cpusetCpus: pool } })]);
        } catch (error) {
          // A container that is gone or refuses is fixed on the next change; the deploy itself stands.
          log.warn({ err: error, workload: workload.id }, 'cannot move an unbound workload to the new shared pool');
        }
      }
    }),
  );
}
