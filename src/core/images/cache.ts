import type { ImageCacheEvent } from '../../contract/events.js';
import { engineMessage } from '../../engine/engines.js';
import { builtVersion } from '../apps/versions.js';
import { eachLimited, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { ensureImage } from './distribute.js';
import { nodeTargets } from './targets.js';

/**
 * `eru image cache APP --version SHA`: puts a built version's image on nodes ahead of a deploy
 * (pulled from its registry or copied from its build node), so the deploy itself only creates containers.
 */
export async function startImageCache(context: CoreContext, app: string, versionRef: string, options: { pod?: string; nodes: string[] }): Promise<EventQueue<ImageCacheEvent>> {
  const { image, imageId } = await builtVersion(context.repos, app, versionRef);
  const nodes = await nodeTargets(context, options.pod, options.nodes);
  const counts = { moved: 0, present: 0, failed: 0 };
  const result = (): ImageCacheEvent => ({ type: 'result', ok: counts.failed === 0, image, ...counts });
  return runInBackground<ImageCacheEvent>(
    async (emit) => {
      await eachLimited(nodes, 4, async (node) => {
        try {
          const moved = await ensureImage(context, context.engines.get(node), image, imageId);
          counts[moved ? 'moved' : 'present']++;
          emit(moved ? { type: 'node', node: node.name, image, ...moved } : { type: 'node', node: node.name, image, how: 'present' });
        } catch (error) {
          counts.failed++;
          emit({ type: 'node-failed', node: node.name, image, error: engineMessage(error) });
        }
      });
      return result();
    },
    result,
  );
}
