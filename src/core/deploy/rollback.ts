import type { Node } from '../../model/node.js';
import type { NodeResources } from '../../model/resources.js';
import type { Intent } from '../../model/intent.js';
import { cloneResources, releasePlacement } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import { del, put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';
import { removeContainer } from './containers.js';

/**
 * "Roll back": undoes an intent (a deploy that failed, or one a dead core left). Removes every
 * container it may have made (by name: they are named before they exist), then gives its reservations
 * back and deletes it, in one transaction. Safe to repeat, and safe when another core got there first.
 */
export async function rollBack({ repos, engines }: CoreContext, intent: Intent, nodes?: Map<string, Node>): Promise<string[]> {
  const removed: string[] = [];
  const known = nodes ?? new Map((await repos.nodes.list()).map((n) => [n.value.name, n.value]));
  await Promise.all(
    intent.workloads.map(async (workload) => {
      if (await removeContainer(engines, known, workload)) removed.push(workload.id);
    }),
  );
  if (intent.kind === 'remove') {
    // A removal gave its cores and memory back when it began; its addresses go now that the containers have.
    const addresses = intent.workloads.flatMap((w) => w.addresses.map((a) => del(repos.addresses.key(a.network, a.address))));
    await repos.commit([], [...addresses, del(repos.intents.key(intent.id))]);
    return removed;
  }
  await optimistic(`releasing ${intent.id}`, async () => {
    const current = await repos.intents.get(intent.id);
    if (!current) return true; // someone else finished it
    const ledgers = new Map<string, { revision: number; value: NodeResources }>();
    for (const workload of intent.workloads) {
      if (!ledgers.has(workload.node)) {
        const ledger = await repos.ledgers.get(workload.node);
        if (ledger) ledgers.set(workload.node, { revision: ledger.revision, value: cloneResources(ledger.value) });
      }
      const ledger = ledgers.get(workload.node);
      const pod = await repos.pods.get(workload.pod);
      if (ledger && pod) releasePlacement(ledger.value, workload.placement, pod.value.sharebase);
    }
    // The addresses go back too: they are held by these workloads alone until this transaction.
    const addresses = intent.workloads.flatMap((w) => w.addresses.map((a) => del(repos.addresses.key(a.network, a.address))));
    const done = await repos.commit(
      [unchanged(repos.intents.key(intent.id), current.revision), ...[...ledgers].map(([node, l]) => unchanged(repos.ledgers.key(node), l.revision))],
      [...[...ledgers].map(([node, l]) => put(repos.ledgers.key(node), l.value)), ...addresses, del(repos.intents.key(intent.id))],
    );
    return done ? true : undefined;
  });
  return removed;
}
