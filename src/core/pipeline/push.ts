import { checkout } from '../../build/builder.js';
import { event } from '../../bus/index.js';
import type { BuildEvent, DeployEvent } from '../../contract/events.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import type { Pipeline, Push } from '../../model/app.js';
import type { AppService } from '../apps/index.js';
import type { CoreContext } from '../context.js';
import { buildAndTest } from './build.js';
import { release } from './release.js';
import type { Services } from '../services/index.js';

/** What a push's activity shows: its build and tests, then its release's progress. */
export type PushEvent = BuildEvent | Exclude<DeployEvent, { type: 'result' }>;

/**
 * A push carried out (README.md): the commit fetched from the app's own repository (never from a URL
 * the delivery names), its app.yaml registered (it must be this app's), built and tested in the
 * pipeline's pod from the same checkout, and, when it passed and the app has a release, rolled out.
 */
export async function carryOutPush(
  context: CoreContext,
  deps: { apps: AppService; services: Services },
  pipeline: Pipeline,
  push: Push,
  emit: (event: PushEvent) => void,
  room: () => Promise<void>,
): Promise<Extract<BuildEvent, { type: 'result' }>> {
  const app = await deps.apps.get(pipeline.app);
  emit({ type: 'note', message: `push to ${push.branch}: ${push.sha.slice(0, 7)}${push.pusher ? ` by ${push.pusher}` : ''} (${push.provider}${push.delivery ? ` delivery ${push.delivery}` : ''}); fetching it from ${app.repo}` });
  const tree = await checkout(app.repo, push.sha);
  let result: Extract<BuildEvent, { type: 'result' }>;
  try {
    if (tree.appYaml === undefined) throw new EruError(ErrorCode.INVALID_ARGUMENT, `${push.sha.slice(0, 7)} has no app.yaml`, { path: ['app.yaml'] });
    const named = deps.apps.nameOf(tree.appYaml);
    if (named !== pipeline.app) throw new EruError(ErrorCode.INVALID_ARGUMENT, `app.yaml of ${push.sha.slice(0, 7)} is app ${named}'s, not ${pipeline.app}'s`, { path: ['app.yaml', 'appname'] });
    const version = await deps.apps.register({ sha: push.sha, repo: app.repo, appYaml: tree.appYaml });
    // Built from the tree already checked out.
    result = await buildAndTest(context, version, pipeline.pod, emit, room, async () => ({ dir: tree.dir, remove: async () => undefined }));
  } finally {
    await tree.remove();
  }
  if (pipeline.release) await release(context, deps.services, pipeline.app, push.sha, pipeline.release, emit);
  return result;
}

/** Announces a push that reached the webhook, before anything is fetched. */
export function announcePush(context: CoreContext, push: Push): void {
  context.publish(event('version.pushed', { app: push.app, data: { sha: push.sha, branch: push.branch, provider: push.provider, ...(push.pusher ? { pusher: push.pusher } : {}) } }));
}
