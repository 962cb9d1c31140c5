import { checkout, buildImage } from '../build/builder.js';
import { EruError, conflict, notFound } from '../lib/errors.js';
import { freePieces } from '../scheduler/fit.js';
import { put, unchanged } from '../store/repositories.js';
import type { CoreContext } from './context.js';
import { VersionRefSchema, type AppVersion } from './model/app.js';
import { pushImage } from './images.js';
import { optimistic } from './retry.js';
import { EventQueue } from './stream.js';

export type BuildEvent =
  | { type: 'building'; app: string; sha: string; node: string; image: string }
  | { type: 'output'; line: string }
  | { type: 'pushed'; image: string; registry: string }
  | { type: 'result'; ok: true; image: string; node: string }
  | { type: 'result'; ok: false; error: { code: string; message: string } };

/** A version by a prefix of its sha (7 hex digits or more). */
export async function resolveVersion(context: CoreContext, app: string, prefix: string): Promise<{ value: AppVersion; revision: number }> {
  if (!VersionRefSchema.safeParse(prefix).success) throw new EruError('INVALID_ARGUMENT', `version "${prefix}": give 7 to 40 hex digits of the commit sha`, { path: ['version'] });
  if (!(await context.repos.apps.get(app))) throw notFound('app', app);
  const matches = (await context.repos.versions.list(app)).filter((v) => v.value.sha.startsWith(prefix));
  if (matches.length === 0) throw notFound(`version of ${app}`, prefix);
  if (matches.length > 1) throw conflict(`version ${prefix} of ${app} is ambiguous: ${matches.map((m) => m.value.sha.slice(0, 10)).join(', ')}`);
  return matches[0]!;
}

/** A version that has been built: its image, or a NOT_BUILT error that says how to build it. */
export async function builtVersion(context: CoreContext, app: string, prefix: string): Promise<AppVersion & { image: string }> {
  const version = (await resolveVersion(context, app, prefix)).value;
  if (!version.image) {
    throw new EruError('NOT_BUILT', `${app}@${version.sha.slice(0, 7)} has not been built: eru build ${app} --revision ${version.sha.slice(0, 7)}`, {
      status: 409,
      path: ['version'],
    });
  }
  return { ...version, image: version.image };
}

/** The node of the pod with the most free CPU, skipping bypassed and down nodes: where builds go. */
async function leastBusyNode(context: CoreContext, pod: string): Promise<string> {
  const { repos } = context;
  if (!(await repos.pods.get(pod))) throw notFound('pod', pod);
  const down = new Set((await repos.nodeStatus.list()).filter((s) => !s.value.up).map((s) => s.name));
  let best: { name: string; free: number } | undefined;
  for (const { value: node } of await repos.nodes.list()) {
    if (node.pod !== pod || node.bypass || down.has(node.name)) continue;
    const ledger = await repos.ledgers.get(node.name);
    const free = ledger ? freePieces(ledger.value.cpus) - ledger.value.unboundPieces : 0;
    if (!best || free > best.free || (free === best.free && node.name < best.name)) best = { name: node.name, free };
  }
  if (!best) throw new EruError('CONFLICT', `pod ${pod} has no node to build on`, { status: 409 });
  return best.name;
}

/**
 * Builds a version: checked out with git, Dockerfile written from app.yaml, built on the least busy
 * node, tagged [REGISTRY/]APP:SHA7, and with a registry configured, pushed there.
 */
export async function startBuild(context: CoreContext, app: string, versionPrefix: string, pod: string): Promise<EventQueue<BuildEvent>> {
  const version = (await resolveVersion(context, app, versionPrefix)).value;
  const nodeName = await leastBusyNode(context, pod);
  const node = (await context.repos.nodes.get(nodeName))!.value;
  const { registry } = context;
  const image = `${registry ? `${registry}/` : ''}${app}:${version.sha.slice(0, 7)}`;
  const events = new EventQueue<BuildEvent>();
  const work = async (): Promise<void> => {
    events.push({ type: 'building', app, sha: version.sha, node: nodeName, image });
    const source = await checkout(version.repo, version.sha);
    try {
      await buildImage(context.engines.get(node), source.dir, version.appYaml, image, (line) => events.push({ type: 'output', line }));
    } finally {
      await source.remove();
    }
    if (registry) {
      await pushImage(context.engines.get(node), image, (line) => events.push({ type: 'output', line }));
      events.push({ type: 'pushed', image, registry });
    }
    await optimistic(`recording the image of ${app}@${version.sha.slice(0, 7)}`, async () => {
      const current = await context.repos.versions.get(app, version.sha);
      if (!current) return true;
      const key = context.repos.versions.key(app, version.sha);
      return (await context.repos.commit([unchanged(key, current.revision)], [put(key, { ...current.value, image, builtOn: nodeName, ...(registry ? { registry } : { registry: undefined }) })])) ? true : undefined;
    });
    events.push({ type: 'result', ok: true, image, node: nodeName });
  };
  void work()
    .catch((error: unknown) => {
      const e = error instanceof EruError ? error : new EruError('BUILD_FAILED', (error as Error).message);
      events.push({ type: 'result', ok: false, error: { code: e.code, message: e.message } });
    })
    .finally(() => events.end());
  return events;
}
