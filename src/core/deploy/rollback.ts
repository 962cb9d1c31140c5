import type { Node } from '../../model/node.js';
import type { Intent } from '../../model/intent.js';
import type { CoreContext } from '../context.js';
import { del, unchanged, type Repositories } from '../repositories.js';
import { combine } from '../reservations/index.js';
import { giveAddresses } from '../reservations/addresses.js';
import { giveCores, readLedgers } from '../reservations/ledger.js';
import { givePorts } from '../reservations/ports.js';
import { optimistic } from '../retry.js';
import { removeContainer } from './containers.js';

/**
 * "Roll back": undoes an intent (a deploy that failed, a job that ended, or one a dead core left).
 * Removes every container it may have made (by name: they are named before they exist), then gives
 * its holdings back (core/reservations/) and deletes it, in one transaction. Safe to repeat, and safe
 * when another core got there first. `neverCreated`: workloads the caller knows have no container (its
 * create never reached Docker), so a node whose Docker is down does not hold their cores until it is back.
 */
export async function rollBack(context: CoreContext, intent: Intent, nodes?: Map<string, Node>, neverCreated: ReadonlySet<string> = new Set()): Promise<string[]> {
  const { repos, engines } = context;
  const removed: string[] = [];
  const known = nodes ?? await repos.nodesByName();
  await Promise.all(
    intent.workloads.filter((workload) => !neverCreated.has(workload.id)).map(async (workload) => {
      if (await removeContainer(engines, known, workload)) removed.push(workload.id);
    }),
  );
  await releaseIntent(repos, intent);
  return removed;
}

/** What an intent holds given back (core/reservations/) and the intent deleted, in one transaction; nothing when it is gone already. */
export async function releaseIntent(repos: Repositories, intent: Intent): Promise<void> {
  await optimistic(`releasing ${intent.id}`, async () => {
    const current = await repos.intents.get(intent.id);
    if (!current) return true; // someone else finished it
    const key = repos.intents.key(intent.id);
    // A removal gave its cores and memory back when it began; its addresses and ports go now that the containers have.
    const holdings = intent.kind === 'remove' ? [] : intent.workloads;
    const pod = intent.workloads[0] && (await repos.pods.get(intent.workloads[0].pod));
    const cores = pod ? giveCores(repos, await readLedgers(repos, holdings.map((w) => w.node)), pod.value.sharebase, holdings) : { compares: [], ops: [] };
    const part = combine(cores, giveAddresses(repos, intent.workloads), givePorts(repos, intent.workloads), { compares: [unchanged(key, current.revision)], ops: [del(key)] });
    return (await repos.commit(part.compares, part.ops)) ? true : undefined;
  });
}
