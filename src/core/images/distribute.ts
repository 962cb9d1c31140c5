import type Docker from 'dockerode';
import { engineMessage, isMissing } from '../../engine/engines.js';
import { followProgress } from '../../engine/progress.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import type { CoreContext } from '../context.js';
import { DnsLabelSchema } from '../../model/names.js';

/** How an image reached a node that lacked it: pulled from the registry, or copied from its build node. */
export interface ImageMove {
  from: string;
  how: 'pulled' | 'copied';
  /** Why it was not the usual way: the pull that failed before the copy. */
  note?: string;
}

/** Follows a pull, push or load; `line` gets its layer lines, without the byte counters that change many times a second. */
function followStream(docker: Docker, stream: NodeJS.ReadableStream, what: string, line?: (text: string) => void): Promise<void> {
  return followProgress(
    docker,
    stream,
    (message) => new EruError(ErrorCode.IMAGE_FAILED, `${what}: ${message}`),
    (event) => {
      if (line && event.status && !event.progress) line(`${event.id ? `${event.id}: ` : ''}${event.status}`);
    },
  );
}

/** Splits `[host:port/]repo[:tag]` at the tag's colon (a registry's port is not a tag). */
export function splitTag(image: string): { repo: string; tag: string } {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? { repo: image.slice(0, colon), tag: image.slice(colon + 1) } : { repo: image, tag: 'latest' };
}

/** Pushes a built image to its registry (a local registry needs no credentials; Docker wants the header anyway). */
export async function pushImage(docker: Docker, image: string, line: (text: string) => void): Promise<void> {
  const { repo, tag } = splitTag(image);
  const stream = await docker.getImage(repo).push({ tag, authconfig: {} });
  await followStream(docker, stream, `pushing ${image}`, line);
}

/**
 * Images on every node. An app version's image is pulled from the registry it was pushed to, or,
 * built without a registry, copied from the node it was built on through the Engine API (export
 * there, load here) before the node's containers are made. A failed pull falls back to the copy
 * when the build node still has the image, and says so. Returns how it came, or null when the node
 * had it (or it is not an image Eru built: creating the container will say it is missing).
 */
export async function ensureImage(context: CoreContext, target: Docker, image: string, imageId?: string): Promise<ImageMove | null> {
  const moved = await bringImage(context, target, image);
  if (imageId) {
    // The tag may have been moved on the node, or a registry may serve something else under it.
    const found = await target.getImage(image).inspect().then((info) => info.Id, () => undefined);
    if (found !== imageId) {
      throw new EruError(ErrorCode.IMAGE_FAILED, `${image} on this node is ${found ?? 'missing'}, not the image built for this version (${imageId}): nothing was made from it`);
    }
  }
  return moved;
}

async function bringImage(context: CoreContext, target: Docker, image: string): Promise<ImageMove | null> {
  try {
    await target.getImage(image).inspect();
    return null;
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  // Eru names what it builds [REGISTRY/]APP:SHA, so the image names its app, whoever runs it
  // (a deploy by version, `--image APP:SHA7`, or a job).
  const app = splitTag(image).repo.split('/').pop()!;
  const version = DnsLabelSchema.safeParse(app).success ? (await context.repos.versions.list(app)).find((v) => v.value.image === image)?.value : undefined;
  const source = version?.builtOn ? (await context.repos.nodes.get(version.builtOn))?.value : undefined;
  let pullFailure: string | undefined;
  if (version?.registry) {
    const { repo, tag } = splitTag(image);
    try {
      await followStream(target, await target.createImage({ fromImage: repo, tag }), `pulling ${image}`);
      return { from: version.registry, how: 'pulled' };
    } catch (error) {
      if (!source) throw error;
      pullFailure = `the pull from ${version.registry} failed: ${engineMessage(error).trim()}`;
    }
  }
  if (!source) return null;
  const exported = await context.engines.get(source).getImage(image).get();
  await followStream(target, await target.loadImage(exported), `loading ${image}`);
  return { from: source.name, how: 'copied', ...(pullFailure ? { note: pullFailure } : {}) };
}
