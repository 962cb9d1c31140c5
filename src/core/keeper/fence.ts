import { forcedRemoval } from '../../engine/docker.js';
import { event } from '../../bus/index.js';
import { isMissing } from '../../engine/engines.js';
import type { Node } from '../../model/node.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';

/**
 * A node declared gone that reports again: the containers it had when it was declared gone are
 * removed (their instances were replaced elsewhere, perhaps with the same fixed addresses), then the
 * fence is lifted. Each removal is idempotent, so a leader that dies half-way leaves nothing wrong.
 */
export async function removeFenced(context: CoreContext, nodes: readonly Node[], alive: ReadonlySet<string>): Promise<void> {
  for (const node of nodes) {
    const fenced = node.fenced ?? [];
    if (fenced.length === 0 || !alive.has(node.name)) continue;
    const docker = context.engines.get(node);
    const removed: string[] = [];
    for (const container of fenced) {
      try {
        await docker.getContainer(container.containerId ?? container.id).remove(forcedRemoval());
        removed.push(container.id);
      } catch (error) {
        if (isMissing(error)) removed.push(container.id);
        else context.log.warn({ err: error, node: node.name, container: container.id }, 'cannot remove a fenced container yet; trying again');
      }
    }
    if (removed.length === 0) continue;
    const current = await context.repos.nodes.get(node.name);
    if (!current) continue;
    const left = (current.value.fenced ?? []).filter((c) => !removed.includes(c.id));
    const { fenced: _old, ...rest } = current.value;
    const next: Node = left.length > 0 ? { ...rest, fenced: left } : rest;
    if (await context.repos.commit([unchanged(context.repos.nodes.key(node.name), current.revision)], [put(context.repos.nodes.key(node.name), next)])) {
      context.log.info({ node: node.name, removed }, 'removed the containers a node declared gone still had');
      context.publish(event('node.updated', { pod: node.pod, node: node.name, data: { fencedRemoved: removed } }));
    }
  }
}
