import { buildImage, checkout } from '../../build/builder.js';
import type { BuildEvent } from '../../contract/events.js';
import { EruError, ErrorCode, notFound } from '../../lib/errors.js';
import { freePieces } from '../../scheduler/index.js';
import { resolveVersion } from '../apps/versions.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { pushImage } from './distribute.js';
import { put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';

/** The node of the pod with the most free CPU, skipping bypassed and down nodes: where builds go. */
async function leastBusyNode({ repos }: CoreContext, pod: string): Promise<string> {
  if (!(await repos.pods.get(pod))) throw notFound('pod', pod);
  const down = new Set((await repos.nodeStatus.list()).filter((s) => !s.value.up).map((s) => s.name));
  let best: { name: string; free: number } | undefined;
  for (const { value: node } of await repos.nodes.list()) {
    if (node.pod !== pod || node.bypass || down.has(node.name)) continue;
    const ledger = await repos.ledgers.get(node.name);
    const free = ledger ? freePieces(ledger.value.cpus) - ledger.value.unboundPieces : 0;
    if (!best || free > best.free || (free === best.free && node.name < best.name)) best = { name: node.name, free };
  }
  if (!best) throw new EruError(ErrorCode.CONFLICT, `pod ${pod} has no node to build on`);
  return best.name;
}

/**
 * Builds a version: checked out with git, Dockerfile written from app.yaml, built on the least busy
 * node, tagged [REGISTRY/]APP:SHA7, and with a registry configured, pushed there.
 */
export async function startBuild(context: CoreContext, app: string, versionPrefix: string, pod: string): Promise<EventQueue<BuildEvent>> {
  const { repos, registry, engines } = context;
  const version = (await resolveVersion(repos, app, versionPrefix)).value;
  const nodeName = await leastBusyNode(context, pod);
  const node = (await repos.nodes.get(nodeName))!.value;
  // The full sha: seven hex digits can be ground to by another commit, which would take the tag.
  const image = `${registry ? `${registry}/` : ''}${app}:${version.sha}`;
  return runInBackground<BuildEvent>(
    async (emit) => {
      emit({ type: 'building', app, sha: version.sha, node: nodeName, image });
      const output = (line: string): void => emit({ type: 'output', line });
      const source = await checkout(version.repo, version.sha);
      try {
        await buildImage(engines.get(node), source.dir, version.appYaml, image, output);
      } finally {
        await source.remove();
      }
      const imageId = (await engines.get(node).getImage(image).inspect()).Id;
      if (registry) {
        await pushImage(engines.get(node), image, output);
        emit({ type: 'pushed', image, registry });
      }
      await optimistic(`recording the image of ${app}@${version.sha.slice(0, 7)}`, async () => {
        const current = await repos.versions.get(app, version.sha);
        if (!current) return true;
        const key = repos.versions.key(app, version.sha);
        const built = { ...current.value, image, imageId, builtOn: nodeName, ...(registry ? { registry } : { registry: undefined }) };
        return (await repos.commit([unchanged(key, current.revision)], [put(key, built)])) ? true : undefined;
      });
      return { type: 'result', ok: true, image, node: nodeName };
    },
    (error) => failedResult(error, ErrorCode.BUILD_FAILED),
  );
}
