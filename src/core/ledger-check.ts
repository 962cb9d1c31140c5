import type { Workload } from '../model/workload.js';
import { ledgerDrift } from '../scheduler/index.js';
import type { CoreContext } from './context.js';
import type { Repositories } from './repositories.js';

/** Everything that holds resources on nodes: the workloads, and those of deploys under way. */
export async function resourceHolders(repos: Repositories): Promise<Workload[]> {
  const intents = (await repos.intents.list()).filter((i) => i.value.kind === 'deploy').flatMap((i) => i.value.workloads);
  return [...(await repos.workloads.list()).map((w) => w.value), ...intents];
}

/**
 * The ledger invariant, checked against the store: every node's ledger equals what its workloads and
 * the deploys under way hold (scheduler/invariants.ts). Drift is a bug or a lost write: it is logged
 * per node and counted in /metrics (eru_core_ledger_drift_total), never repaired behind anyone's back.
 * Returns the differences found.
 */
export async function checkLedgers({ repos, log, metrics }: CoreContext): Promise<string[]> {
  const pods = new Map((await repos.pods.list()).map((p) => [p.value.name, p.value]));
  const holders = await resourceHolders(repos);
  const found: string[] = [];
  for (const { value: node } of await repos.nodes.list()) {
    const ledger = await repos.ledgers.get(node.name);
    const pod = pods.get(node.pod);
    if (!ledger || !pod) continue;
    const drift = ledgerDrift(node.name, ledger.value, holders, { sharebase: pod.sharebase, memory: node.memory });
    if (drift.length === 0) continue;
    log.error({ node: node.name, drift }, 'the ledger of a node differs from what its workloads hold');
    metrics.ledgerDrift.inc(drift.length);
    found.push(...drift);
  }
  return found;
}
