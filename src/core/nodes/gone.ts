import { event } from '../../bus/index.js';
import { conflict, notFound } from '../../lib/errors.js';
import type { Node } from '../../model/node.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';
import { combine } from '../reservations/index.js';
import { optimistic } from '../retry.js';
import { announceForgotten, forgetting } from '../workloads/forget.js';

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
    const held = (await repos.workloads.list()).filter((w) => w.value.node === name);
    const workloads = held.map((w) => w.value);
    const fenced = [...(current.value.fenced ?? []), ...workloads.map((w) => ({ id: w.id, ...(w.containerId ? { containerId: w.containerId } : {}) }))];
    const next: Node = { ...current.value, gone: true, fenced };
    const part = combine(await forgetting(context, current.value.pod, name, held), {
      compares: [unchanged(repos.nodes.key(name), current.revision)],
      ops: [put(repos.nodes.key(name), next)],
    });
    return (await repos.commit(part.compares, part.ops)) ? { node: next, forgotten: workloads } : undefined;
  });
  await announceForgotten(context, forgotten, `node ${name} declared gone`);
  publish(event('node.updated', { pod: node.pod, node: name, data: { gone: true, fenced: node.fenced?.length ?? 0 } }));
  return node;
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
