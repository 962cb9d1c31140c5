import { event } from '../../bus/index.js';
import { serviceKey } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { announceEndpointsOf } from '../networks/endpoints.js';
import { del, put, unchanged, type Versioned } from '../repositories.js';
import { combine, type TxnPart } from '../reservations/index.js';
import { giveAddresses } from '../reservations/addresses.js';
import { giveCores, readLedgers } from '../reservations/ledger.js';
import { givePorts } from '../reservations/ports.js';

/**
 * Workloads whose containers are gone for good and who are forgotten without touching Docker: a node
 * declared gone (core/nodes/gone.ts), a record whose container vanished behind Eru's back (core/check/).
 * The part of one transaction that gives back their cores, addresses and ports, hands their fixed
 * addresses to their services (so the keeper's replacements take the same ones), and deletes their
 * records — guarded by the revisions they were read at.
 */
export async function forgetting(context: CoreContext, podName: string, node: string, held: ReadonlyArray<Versioned<Workload>>): Promise<TxnPart> {
  const { repos } = context;
  const workloads = held.map((w) => w.value);
  const pod = await repos.pods.get(podName);
  const cores = pod ? giveCores(repos, await readLedgers(repos, [node]), pod.value.sharebase, workloads) : { compares: [], ops: [] };
  return combine(cores, giveAddresses(repos, workloads), givePorts(repos, workloads), await handOnFixed(context, workloads), {
    compares: held.map((w) => unchanged(repos.workloads.key(w.value.id), w.revision)),
    ops: workloads.flatMap((w) => [del(repos.workloads.key(w.id)), del(repos.statuses.key(w.id)), del(repos.boosts.key(w.id))]),
  });
}

/** Once committed: each forgotten workload's removal on the bus, and its apps' endpoints again. */
export async function announceForgotten(context: CoreContext, forgotten: readonly Workload[], reason: string): Promise<void> {
  for (const w of forgotten) context.publish(event('workload.removed', { app: w.app, pod: w.pod, node: w.node, workload: w.id, data: { entry: w.entry, reason } }));
  await announceEndpointsOf(context, forgotten);
}

/** Each forgotten instance's fixed addresses, written into its service for its replacement to take (the keeper). */
async function handOnFixed(context: CoreContext, workloads: readonly Workload[]): Promise<TxnPart> {
  const { repos } = context;
  const byService = new Map<string, { pod: string; app: string; entry: string; fixed: Array<Record<string, string>> }>();
  for (const w of workloads) {
    const fixed = Object.fromEntries(w.addresses.filter((a) => a.fixed).map((a) => [a.network, a.address]));
    if (Object.keys(fixed).length === 0) continue;
    const entry = byService.get(serviceKey(w)) ?? { pod: w.pod, app: w.app, entry: w.entry, fixed: [] };
    entry.fixed.push(fixed);
    byService.set(serviceKey(w), entry);
  }
  const part: TxnPart = { compares: [], ops: [] };
  for (const { pod, app, entry, fixed } of byService.values()) {
    const service = await repos.services.get(pod, app, entry);
    if (!service) continue;
    const key = repos.services.key(pod, app, entry);
    part.compares.push(unchanged(key, service.revision));
    part.ops.push(put(key, { ...service.value, pendingFixed: [...service.value.pendingFixed, ...fixed] }));
  }
  return part;
}
