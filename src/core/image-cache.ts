import { engineMessage } from '../engine/engines.js';
import { builtVersion } from './builds.js';
import type { CoreContext } from './context.js';
import { ensureImage } from './images.js';
import { nodeTargets } from './node-targets.js';
import { EventQueue, eachLimited } from './stream.js';

export type ImageCacheEvent =
  | { type: 'node'; node: string; image: string; how: 'present' | 'pulled' | 'copied'; from?: string; note?: string }
  | { type: 'node-failed'; node: string; image: string; error: string }
  | { type: 'result'; ok: boolean; image: string; moved: number; present: number; failed: number };

/**
 * `eru image cache APP --version SHA`: puts a built version's image on nodes ahead of a deploy
 * (pulled from its registry or copied from its build node), so the deploy itself only creates containers.
 */
export async function startImageCache(context: CoreContext, app: string, versionRef: string, options: { pod?: string; nodes: string[] }): Promise<EventQueue<ImageCacheEvent>> {
  const { image } = await builtVersion(context, app, versionRef);
  const nodes = await nodeTargets(context, options.pod, options.nodes);
  const events = new EventQueue<ImageCacheEvent>();
  const counts = { moved: 0, present: 0, failed: 0 };
  void eachLimited(nodes, 4, async (node) => {
    try {
      const moved = await ensureImage(context, context.engines.get(node), image);
      counts[moved ? 'moved' : 'present']++;
      events.push(moved ? { type: 'node', node: node.name, image, ...moved } : { type: 'node', node: node.name, image, how: 'present' });
    } catch (error) {
      counts.failed++;
      events.push({ type: 'node-failed', node: node.name, image, error: engineMessage(error) });
    }
  }).finally(() => {
    events.push({ type: 'result', ok: counts.failed === 0, image, ...counts });
    events.end();
  });
  return events;
}
