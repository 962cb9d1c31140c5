import type { FastifyBaseLogger } from 'fastify';
import { unchanged, put } from '../store/repositories.js';
import type { CoreContext } from './context.js';

/**
 * Start-up migrations of what older cores stored, run before the core takes work.
 *
 * Ledgers: shared cores used to be inferred from partly free cores, which lost a shared core once
 * fragments filled it up (and let `maxshare` be exceeded). A ledger without its `shared` field gets
 * it recounted from the workloads and the deploys under way on its node.
 */
export async function migrateLedgers({ repos }: CoreContext, log?: FastifyBaseLogger): Promise<number> {
  let migrated = 0;
  const pods = new Map((await repos.pods.list()).map((p) => [p.value.name, p.value]));
  const holders = [...(await repos.workloads.list()).map((w) => w.value), ...(await repos.intents.list()).filter((i) => i.value.kind === 'deploy').flatMap((i) => i.value.workloads)];
  for (const { value: node } of await repos.nodes.list()) {
    const key = repos.ledgers.key(node.name);
    const raw = await repos.store.get(key);
    if (!raw || 'shared' in (JSON.parse(raw.value) as object)) continue;
    const sharebase = pods.get(node.pod)?.sharebase;
    if (sharebase === undefined) continue;
    const shared: Record<string, number> = {};
    for (const workload of holders) {
      if (workload.node !== node.name) continue;
      for (const [core, pieces] of Object.entries(workload.placement.cpuset ?? {})) if (pieces < sharebase) shared[core] = (shared[core] ?? 0) + 1;
    }
    const ledger = { ...(JSON.parse(raw.value) as object), shared };
    if (await repos.commit([unchanged(key, raw.modRevision)], [put(key, ledger)])) {
      migrated++;
      log?.info({ node: node.name, shared }, 'migrated the ledger of a node: shared cores recounted from its workloads');
    }
  }
  return migrated;
}
