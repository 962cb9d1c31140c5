import { buildImage, checkout } from '../../build/builder.js';
import type { BuildEvent } from '../../contract/events.js';
import { EruError, ErrorCode, notFound } from '../../lib/errors.js';
import type { AppVersion } from '../../model/app.js';
import { freePieces } from '../../scheduler/index.js';
import { cordonOf, type Node } from '../../model/node.js';
import type { CoreContext } from '../context.js';
import { pushImage } from './distribute.js';
import { put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';

/**
 * Where a build goes: the node the app's last build was made on, whose build cache holds its layers
 * (a version that changes only code reuses its dependency step); else, or when that node cannot take
 * it, the node of the pod with the most free CPU. Bypassed, down and cordoned nodes are skipped.
 */
async function buildNode({ repos }: CoreContext, app: string, pod: string): Promise<string> {
  if (!(await repos.pods.get(pod))) throw notFound('pod', pod);
  const down = new Set((await repos.nodeStatus.list()).filter((s) => !s.value.up).map((s) => s.name));
  const usable = (node: Node): boolean => node.pod === pod && !node.bypass && !down.has(node.name) && cordonOf(node) === undefined;
  const last = (await repos.versions.list(app)).map((v) => v.value).filter((v) => v.builtOn && v.builtAt).sort((a, b) => b.builtAt!.localeCompare(a.builtAt!))[0];
  const cached = last?.builtOn ? (await repos.nodes.get(last.builtOn))?.value : undefined;
  if (cached && usable(cached)) return cached.name;
  let best: { name: string; free: number } | undefined;
  for (const { value: node } of await repos.nodes.list()) {
    if (!usable(node)) continue;
    const ledger = await repos.ledgers.get(node.name);
    const free = ledger ? freePieces(ledger.value.cpus) - ledger.value.unboundPieces : 0;
    if (!best || free > best.free || (free === best.free && node.name < best.name)) best = { name: node.name, free };
  }
  if (!best) throw new EruError(ErrorCode.CONFLICT, `pod ${pod} has no node to build on`);
  return best.name;
}

/**
 * Step "build" of the pipeline (core/pipeline/): a version checked out with git (or the tree a local
 * build sent, `source`), its Dockerfile written from app.yaml, built on the app's build node, tagged
 * [REGISTRY/]APP:SHA, and with a registry configured, pushed there; the image recorded on the version.
 */
export async function buildVersionImage(
  context: CoreContext,
  version: AppVersion,
  pod: string,
  emit: (event: BuildEvent) => void,
  source?: () => Promise<{ dir: string; remove: () => Promise<void> }>,
): Promise<AppVersion & { image: string }> {
  if (!source && version.local) throw new EruError(ErrorCode.CONFLICT, `${version.app}@${version.sha.slice(0, 7)} was built from a working tree: build it again with eru build ${version.app} --dir DIR`);
  const fetch = source ?? (() => checkout(version.repo, version.sha));
  const { repos, registry, engines } = context;
  const app = version.app;
  const nodeName = await buildNode(context, app, pod);
  const node = (await repos.nodes.get(nodeName))!.value;
  // The full sha: seven hex digits can be ground to by another commit, which would take the tag.
  const image = `${registry ? `${registry}/` : ''}${app}:${version.sha}`;
  emit({ type: 'building', app, sha: version.sha, node: nodeName, image });
  const output = (line: string): void => emit({ type: 'output', line });
  const tree = await fetch();
  try {
    await buildImage(engines.get(node), tree.dir, version.appYaml, image, output);
  } finally {
    await tree.remove();
  }
  const imageId = (await engines.get(node).getImage(image).inspect()).Id;
  if (registry) {
    await pushImage(engines.get(node), image, output);
    emit({ type: 'pushed', image, registry });
  }
  return optimistic(`recording the image of ${app}@${version.sha.slice(0, 7)}`, async () => {
    const current = await repos.versions.get(app, version.sha);
    if (!current) throw notFound(`version of ${app}`, version.sha);
    const key = repos.versions.key(app, version.sha);
    // A new image has not been tested: its earlier test record goes.
    const { test: _old, ...rest } = current.value;
    const built = { ...rest, image, imageId, builtOn: nodeName, builtAt: new Date().toISOString(), ...(registry ? { registry } : { registry: undefined }) };
    return (await repos.commit([unchanged(key, current.revision)], [put(key, built)])) ? built : undefined;
  });
}
