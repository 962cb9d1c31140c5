import type { CoreContext } from './context.js';
import { resourceHolders } from './ledger-check.js';
import { put, unchanged } from './repositories.js';

/**
 * Start-up migrations of what older cores stored, run before the core takes work.
 *
 * Ledgers: shared cores used to be inferred from partly free cores, which lost a shared core once
 * fragments filled it up (and let `maxshare` be exceeded). A ledger without its `shared` field gets
 * it recounted from the workloads and the deploys under way on its node.
 */
export async function migrateLedgers({ repos, log }: CoreContext): Promise<number> {
  let migrated = 0;
  const pods = new Map((await repos.pods.list()).map((p) => [p.value.name, p.value]));
  const holders = await resourceHolders(repos);
  for (const { value: node } of await repos.nodes.list()) {
    const stored = await repos.ledgers.stored(node.name);
    if (!stored || 'shared' in stored.value) continue;
    const sharebase = pods.get(node.pod)?.sharebase;
    if (sharebase === undefined) continue;
    const shared: Record<string, number> = {};
    for (const workload of holders) {
      if (workload.node !== node.name) continue;
      for (const [core, pieces] of Object.entries(workload.placement.cpuset ?? {})) if (pieces < sharebase) shared[core] = (shared[core] ?? 0) + 1;
    }
    const key = repos.ledgers.key(node.name);
    if (await repos.commit([unchanged(key, stored.revision)], [put(key, { ...stored.value, shared })])) {
      migrated++;
      log.info({ node: node.name, shared }, 'migrated the ledger of a node: shared cores recounted from its workloads');
    }
  }
  return migrated;
}
