import { event } from '../../bus/index.js';
import { conflict, notFound } from '../../lib/errors.js';
import type { Node } from '../../model/node.js';
import { serviceKey } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { announceEndpoints } from '../networks/endpoints.js';
import { del, put, unchanged } from '../repositories.js';
import { combine, type TxnPart } from '../reservations/index.js';
import { giveAddresses } from '../reservations/addresses.js';
import { giveCores, readLedgers } from '../reservations/ledger.js';
import { givePorts } from '../reservations/ports.js';
import { optimistic } from '../retry.js';

/**
 * `eru node set N --gone`: the operator says a down node will not come back as it was. Its instances
 * are forgotten in one transaction — their cores, addresses and ports given back, so the keeper may
 * now move fixed addresses — and the node is fenced: it takes nothing new, and the containers it
 * had are removed as soon as its agent reports again (keeper/fence.ts), so a returning host never
 * answers an address that moved. Refused while the node's agent reports: drain it instead.
 */
export async function declareGone(context: CoreContext, name: string): Promise<Node> {
  const { repos, publish } = context;
  const { node, forgotten } = await optimistic(`declaring node ${name} gone`, async () => {
    const current = await repos.nodes.get(name);
    if (!current) throw notFound('node', name);
    if (await repos.alive.get(name)) throw conflict(`node ${name} is up (its agent reports): drain it (eru node drain ${name}) rather than declaring it gone`);
    const pod = await repos.pods.get(current.value.pod);
    const held = (await repos.workloads.list()).filter((w) => w.value.node === name);
    const workloads = held.map((w) => w.value);
    const fenced = [...(current.value.fenced ?? []), ...workloads.map((w) => ({ id: w.id, ...(w.containerId ? { containerId: w.containerId } : {}) }))];
    const next: Node = { ...current.value, gone: true, fenced };
    const cores = pod ? giveCores(repos, await readLedgers(repos, [name]), pod.value.sharebase, workloads) : { compares: [], ops: [] };
    const part = combine(cores, giveAddresses(repos, workloads), givePorts(repos, workloads), await handOnFixed(context, workloads), {
      compares: [unchanged(repos.nodes.key(name), current.revision), ...held.map((w) => unchanged(repos.workloads.key(w.value.id), w.revision))],
      ops: [
        put(repos.nodes.key(name), next),
        ...workloads.flatMap((w) => [del(repos.workloads.key(w.id)), del(repos.statuses.key(w.id)), del(repos.boosts.key(w.id))]),
      ],
    });
    return (await repos.commit(part.compares, part.ops)) ? { node: next, forgotten: workloads } : undefined;
  });
  for (const w of forgotten) publish(event('workload.removed', { app: w.app, pod: w.pod, node: w.node, workload: w.id, data: { entry: w.entry, reason: `node ${name} declared gone` } }));
  publish(event('node.updated', { pod: node.pod, node: name, data: { gone: true, fenced: node.fenced?.length ?? 0 } }));
  await announceEndpoints(context, forgotten.map((w) => w.app));
  return node;
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

/** `eru node set N --no-gone`: the node may be scheduled on again (what it had is still removed when it reports). */
export async function declareBack(context: CoreContext, name: string): Promise<Node> {
  const { repos, publish } = context;
  const node = await optimistic(`taking node ${name} back`, async () => {
    const current = await repos.nodes.get(name);
    if (!current) throw notFound('node', name);
    const { gone: _gone, ...rest } = current.value;
    return (await repos.commit([unchanged(repos.nodes.key(name), current.revision)], [put(repos.nodes.key(name), rest)])) ? rest : undefined;
  });
  publish(event('node.updated', { pod: node.pod, node: name, data: { gone: false } }));
  return node;
}
