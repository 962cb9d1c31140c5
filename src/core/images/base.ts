import { baseImageId, baseRoot, importBase, type BaseRoot } from '../../build/base.js';
import type { BaseImageEvent } from '../../contract/events.js';
import { engineMessage } from '../../engine/engines.js';
import { BASE_IMAGES, type BaseKind } from '../../model/images.js';
import type { Node } from '../../model/node.js';
import { eachLimited, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { nodeTargets } from './targets.js';

/**
 * Makes a base image (`eru image base busybox|debian`) on each target node that lacks it (or every
 * one, with force): the root filesystem is made once on the core's machine and imported node by node.
 */
export async function startBaseImages(context: CoreContext, kind: BaseKind, options: { pod?: string; nodes: string[]; force: boolean }): Promise<EventQueue<BaseImageEvent>> {
  const nodes = await nodeTargets(context, options.pod, options.nodes);
  const { image } = BASE_IMAGES[kind];
  const counts = { made: 0, present: 0, failed: 0 };
  return runInBackground<BaseImageEvent>(
    async (emit) => {
      const fail = (node: Node, error: unknown): void => {
        counts.failed++;
        emit({ type: 'node-failed', node: node.name, image, error: engineMessage(error) });
      };
      const lacking: Node[] = [];
      await eachLimited(nodes, 8, async (node) => {
        try {
          const id = options.force ? undefined : await baseImageId(context.engines.get(node), kind);
          if (!id) return void lacking.push(node);
          counts.present++;
          emit({ type: 'node', node: node.name, image, made: false, id });
        } catch (error) {
          fail(node, error);
        }
      });
      if (lacking.length > 0) await importInto(context, kind, lacking, emit, fail, counts);
      return { type: 'result', ok: counts.failed === 0, image, ...counts };
    },
    // Every node's failure is its own line; what is left to report is the tally.
    () => ({ type: 'result', ok: false, image, ...counts }),
  );
}

async function importInto(
  context: CoreContext,
  kind: BaseKind,
  lacking: Node[],
  emit: (event: BaseImageEvent) => void,
  fail: (node: Node, error: unknown) => void,
  counts: { made: number },
): Promise<void> {
  let root: BaseRoot;
  try {
    root = await baseRoot(kind, (line) => emit({ type: 'output', line }));
  } catch (error) {
    for (const node of lacking) fail(node, error);
    return;
  }
  try {
    await eachLimited(lacking, 4, async (node) => {
      try {
        const id = await importBase(context.engines.get(node), root);
        counts.made++;
        emit({ type: 'node', node: node.name, image: BASE_IMAGES[kind].image, made: true, id });
      } catch (error) {
        fail(node, error);
      }
    });
  } finally {
    await root.remove();
  }
}
