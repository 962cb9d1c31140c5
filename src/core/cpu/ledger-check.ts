import type { Workload } from '../../model/workload.js';
import { ledgerDrift } from '../../scheduler/index.js';
import type { CoreContext } from '../context.js';
import type { Repositories } from '../repositories.js';
import { heldWorkloads } from '../workloads/held.js';

/** Everything that holds resources on nodes: the workloads, and those of deploys and jobs under way. */
export async function resourceHolders(repos: Repositories): Promise<Workload[]> {
  return (await heldWorkloads(repos)).filter((h) => h.holdsPieces).map((h) => h.workload);
}

/**
 * The ledger invariant, checked against the store: every node's ledger equals what its workloads and
 * the deploys under way hold (scheduler/invariants.ts). Drift is a bug or a lost write: it is logged
 * per node and counted in /metrics (eru_core_ledger_drift_total), never repaired behind anyone's back.
 * Returns the differences found.
 */
export async function checkLedgers({ repos, log, metrics }: CoreContext): Promise<string[]> {
  const pods = new Map((await repos.pods.list()).map((p) => [p.value.name, p.value]));
  const held = await heldWorkloads(repos);
  const holders = held.filter((h) => h.holdsPieces).map((h) => h.workload);
  // Each node is checked against its own holders only: linear in workloads, not nodes × workloads.
  const byNode = new Map<string, Workload[]>();
  for (const holder of holders) byNode.set(holder.node, [...(byNode.get(holder.node) ?? []), holder]);
  const found: string[] = [];
  for (const { value: node } of await repos.nodes.list()) {
    const ledger = await repos.ledgers.get(node.name);
    const pod = pods.get(node.pod);
    if (!ledger || !pod) continue;
    const drift = ledgerDrift(node.name, ledger.value, byNode.get(node.name) ?? [], { sharebase: pod.sharebase, memory: node.memory });
    if (drift.length === 0) continue;
    log.error({ node: node.name, drift }, 'the ledger of a node differs from what its workloads hold');
    metrics.ledgerDrift.inc(drift.length);
    found.push(...drift);
  }
  // Addresses: every held one is held by a workload (or a deploy or removal under way) that says so, and back.
  const byId = new Map(held.map((h) => [h.workload.id, h.workload]));
  for (const { value: network } of await repos.networks.list()) {
    const held = await repos.addresses.list(network.name);
    const drift: string[] = [];
    for (const { name: address, value: holder } of held) {
      const workload = byId.get(holder.workload);
      if (!workload?.addresses.some((a) => a.network === network.name && a.address === address)) {
        drift.push(`network ${network.name}: ${address} is held for ${holder.workload}, which ${workload ? 'does not have it' : 'does not exist'}`);
      }
    }
    const heldSet = new Set(held.map((h) => `${h.name}=${h.value.workload}`));
    for (const workload of byId.values()) {
      for (const a of workload.addresses) {
        if (a.network === network.name && !heldSet.has(`${a.address}=${workload.id}`)) drift.push(`network ${network.name}: ${workload.id} has ${a.address}, which the pool does not hold for it`);
      }
    }
    if (drift.length === 0) continue;
    log.error({ network: network.name, drift }, 'the address pool of a network differs from what its workloads hold');
    metrics.ledgerDrift.inc(drift.length);
    found.push(...drift);
  }
  return found;
}
