import { sharedPool } from '../../engine/cpu.js';
import type { Node } from '../../model/node.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';

/**
 * When pins change on a node (a deploy, a removal), its unbound workloads get the new shared pool:
 * the cores no bound workload holds whole.
 */
export async function reapplySharedPool({ repos, engines, log }: CoreContext, nodes: Map<string, Node>, changed: Set<string>): Promise<void> {
  if (changed.size === 0) return;
  const all = await repos.workloads.list();
  await Promise.all(
    [...changed].map(async (nodeName) => {
      const node = nodes.get(nodeName);
      const pod = node ? await repos.pods.get(node.pod) : null;
      if (!node || !pod) return;
      const onNode = all.filter((w) => w.value.node === nodeName);
      const pool = sharedPool(node.cpus, onNode.map((w) => w.value.placement), pod.value.sharebase).join(',');
      for (const { value: workload, revision } of onNode.filter((w) => !w.value.placement.cpuset && w.value.cpusetCpus !== pool)) {
        try {
          await engines.get(node).getContainer(workload.id).update({ CpusetCpus: pool });
          const key = repos.workloads.key(workload.id);
          await repos.commit([unchanged(key, revision)], [put(key, { ...workload, cpusetCpus: pool })]);
        } catch (error) {
          // A container that is gone or refuses is fixed on the next change; the deploy itself stands.
          log.warn({ err: error, workload: workload.id }, 'cannot move an unbound workload to the new shared pool');
        }
      }
    }),
  );
}
