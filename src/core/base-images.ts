import { BASE_IMAGES, baseImageId, baseRoot, importBase, type BaseKind, type BaseRoot } from '../build/base.js';
import { engineMessage } from '../engine/engines.js';
import type { CoreContext } from './context.js';
import type { Node } from './model/node.js';
import { nodeTargets } from './node-targets.js';
import { EventQueue, eachLimited } from './stream.js';

export type BaseImageEvent =
  | { type: 'output'; line: string }
  | { type: 'node'; node: string; image: string; made: boolean; id: string }
  | { type: 'node-failed'; node: string; image: string; error: string }
  | { type: 'result'; ok: boolean; image: string; made: number; present: number; failed: number };

/**
 * Makes a base image (`eru image base busybox|debian`) on each target node that lacks it (or every
 * one, with force): the root filesystem is made once on the core's machine and imported node by node.
 */
export async function startBaseImages(context: CoreContext, kind: BaseKind, options: { pod?: string; nodes: string[]; force: boolean }): Promise<EventQueue<BaseImageEvent>> {
  const nodes = await nodeTargets(context, options.pod, options.nodes);
  const { image } = BASE_IMAGES[kind];
  const events = new EventQueue<BaseImageEvent>();
  const counts = { made: 0, present: 0, failed: 0 };
  const fail = (node: Node, error: unknown): void => {
    counts.failed++;
    events.push({ type: 'node-failed', node: node.name, image, error: engineMessage(error) });
  };
  const work = async (): Promise<void> => {
    const lacking: Node[] = [];
    await eachLimited(nodes, 8, async (node) => {
      try {
        const id = options.force ? undefined : await baseImageId(context.engines.get(node), kind);
        if (id) {
          counts.present++;
          events.push({ type: 'node', node: node.name, image, made: false, id });
        } else lacking.push(node);
      } catch (error) {
        fail(node, error);
      }
    });
    if (lacking.length === 0) return;
    let root: BaseRoot;
    try {
      root = await baseRoot(kind, (line) => events.push({ type: 'output', line }));
    } catch (error) {
      for (const node of lacking) fail(node, error);
      return;
    }
    try {
      await eachLimited(lacking, 4, async (node) => {
        try {
          const id = await importBase(context.engines.get(node), root);
          counts.made++;
          events.push({ type: 'node', node: node.name, image, made: true, id });
        } catch (error) {
          fail(node, error);
        }
      });
    } finally {
      await root.remove();
    }
  };
  void work().finally(() => {
    events.push({ type: 'result', ok: counts.failed === 0, image, ...counts });
    events.end();
  });
  return events;
}
