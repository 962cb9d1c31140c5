import type Docker from 'dockerode';
import { isMissing } from '../engine/engines.js';
import type { CoreContext } from './context.js';

/**
 * Images on every node. An app version's image lives where it was built; a node that lacks it gets a
 * copy through the Engine API (export from the build node, load into this one) before its containers
 * are made. Returns the node it was copied from, or null when nothing had to move.
 */
export async function ensureImage(context: CoreContext, target: Docker, image: string, app: string): Promise<string | null> {
  try {
    await target.getImage(image).inspect();
    return null;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  const version = (await context.repos.versions.list(app)).find((v) => v.value.image === image)?.value;
  const source = version?.builtOn ? (await context.repos.nodes.get(version.builtOn))?.value : undefined;
  // Not an image Eru built: creating the container will say the image is missing.
  if (!source) return null;
  const exported = await context.engines.get(source).getImage(image).get();
  const loading = await target.loadImage(exported);
  await new Promise<void>((resolve, reject) => {
    loading.on('end', resolve);
    loading.on('error', reject);
    loading.resume();
  });
  return source.name;
}
