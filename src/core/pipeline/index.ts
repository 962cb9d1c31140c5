import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkout, type Checkout } from '../../build/builder.js';
import type { BuildEvent } from '../../contract/events.js';
import type { HookAnswer, PipelineBody, PipelineView } from '../../contract/pipelines.js';
import { EruError, ErrorCode, invalid, notFound } from '../../lib/errors.js';
import type { AppVersion, Pipeline, Push } from '../../model/app.js';
import type { AppService } from '../apps/index.js';
import { trackActivity } from '../apps/activities.js';
import { resolveVersion, testState } from '../apps/versions.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { absent, put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';
import type { Services } from '../services/index.js';
import { buildAndTest } from './build.js';
import { readDelivery, verifyDelivery } from './hook.js';
import { announcePush, carryOutPush, type PushEvent } from './push.js';

type Headers = Record<string, string | string[] | undefined>;

/** The most a working tree sent by `eru build --dir` may weigh (a git bundle: compressed). */
export const LOCAL_BUNDLE_LIMIT = 256 * 1024 * 1024;

/** Passes at most `bytes` on; more fails the stream with BODY_TOO_LARGE. */
function limited(bytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > bytes) return done(new EruError(ErrorCode.BODY_TOO_LARGE, `the working tree is over ${bytes / 1024 / 1024} MiB as a git bundle`));
      done(null, chunk);
    },
  });
}

/** The pipeline of a version, from a push to running (README.md here). */
export class Pipelines {
  constructor(
    private readonly context: CoreContext,
    private readonly deps: { apps: AppService; services: Services },
  ) {}

  /** `eru build`: a registered version built and tested, its output streamed. */
  async build(app: string, versionRef: string, pod: string): Promise<EventQueue<BuildEvent>> {
    const version = (await resolveVersion(this.context.repos, app, versionRef)).value;
    const queue = runInBackground<BuildEvent>(
      (emit, room) => buildAndTest(this.context, version, pod, emit, room),
      (error) => failedResult(error, ErrorCode.BUILD_FAILED),
    );
    return trackActivity(this.context, { kind: 'build', app, pod, version: version.sha }, queue);
  }

  /**
   * `eru build --dir`: a working tree, sent as a git bundle of one commit (its tracked files with their
   * uncommitted changes), registered as a local version (never released by itself), built and tested
   * like any other. The bundle is cloned with git, as a repository would be; at most LOCAL_BUNDLE_LIMIT bytes.
   */
  async buildLocal(app: string, sha: string, pod: string, bundle: Readable): Promise<EventQueue<BuildEvent>> {
    const dir = await mkdtemp(join(tmpdir(), 'eru-local-'));
    const cleanUp = (): Promise<void> => rm(dir, { recursive: true, force: true });
    let tree: Checkout;
    let version: AppVersion;
    try {
      await pipeline(bundle, limited(LOCAL_BUNDLE_LIMIT), createWriteStream(join(dir, 'tree.bundle')));
      tree = await checkout(join(dir, 'tree.bundle'), sha);
      if (tree.appYaml === undefined) throw new EruError(ErrorCode.INVALID_ARGUMENT, 'the working tree has no app.yaml', { path: ['app.yaml'] });
      const named = this.deps.apps.nameOf(tree.appYaml);
      if (named !== app) throw new EruError(ErrorCode.INVALID_ARGUMENT, `its app.yaml is app ${named}'s, not ${app}'s`, { path: ['app.yaml', 'appname'] });
      version = await this.deps.apps.register({ sha, repo: 'local', appYaml: tree.appYaml }, { local: true });
    } catch (error) {
      await cleanUp();
      throw error;
    }
    const queue = runInBackground<BuildEvent>(
      (emit, room) => buildAndTest(this.context, version, pod, emit, room, async () => ({ dir: tree.dir, remove: async () => undefined })).finally(async () => {
        await tree.remove();
        await cleanUp();
      }),
      (error) => failedResult(error, ErrorCode.BUILD_FAILED),
    );
    return trackActivity(this.context, { kind: 'build', app, pod, version: sha }, queue);
  }

  /** A push whose core is gone before its version's tests ended (or before it was built). */
  private async abandoned(push: Push): Promise<boolean> {
    const { repos } = this.context;
    if (await repos.cores.alive(push.owner)) return false;
    const version = (await repos.versions.get(push.app, push.sha))?.value;
    if (!version?.image) return true;
    const state = testState(version);
    return state === 'untested' || state === 'running';
  }

  /** An app's pipeline with its webhook's URL (under `base`, where clients reach this core). */
  async show(app: string, base: string): Promise<PipelineView> {
    const pipeline = (await this.context.repos.pipelines.get(app))?.value;
    if (!pipeline) throw notFound('pipeline of app', `${app} (eru app hook set ${app} --branch main --pod POD)`);
    return { ...pipeline, url: `${base.replace(/\/$/, '')}/v1/hooks/git/${app}` };
  }

  /** Sets an app's pipeline up or changes it; a secret is made the first time (and when asked to rotate). */
  async configure(app: string, body: PipelineBody, base: string): Promise<PipelineView> {
    const { repos } = this.context;
    await this.deps.apps.get(app);
    if (body.pod && !(await repos.pods.get(body.pod))) throw new EruError(ErrorCode.NOT_FOUND, `pod ${body.pod} not found`, { path: ['pod'] });
    if (body.release && !(await repos.pods.get(body.release.pod))) throw new EruError(ErrorCode.NOT_FOUND, `pod ${body.release.pod} not found`, { path: ['release', 'pod'] });
    await optimistic(`setting the pipeline of ${app}`, async () => {
      const current = await repos.pipelines.get(app);
      const pod = body.pod ?? current?.value.pod;
      if (!pod) throw invalid(['pod'], 'name the pod where pushes are built and tested');
      const release = body.release === null ? undefined : (body.release ?? current?.value.release);
      const next: Pipeline = {
        app,
        branch: body.branch ?? current?.value.branch ?? 'main',
        pod,
        secret: current && !body.rotateSecret ? current.value.secret : randomBytes(32).toString('hex'),
        ...(release ? { release } : {}),
        updatedAt: new Date().toISOString(),
      };
      const key = repos.pipelines.key(app);
      return (await repos.commit([current ? unchanged(key, current.revision) : absent(key)], [put(key, next)])) ? next : undefined;
    });
    return this.show(app, base);
  }

  /**
   * `POST /v1/hooks/git/{app}`: a delivery from GitHub or GitLab. Its signature is checked against the
   * app's secret before anything in it is read (401 and nothing done otherwise); a push to the branch
   * the app follows is kept by its sha (the same commit delivered twice is taken up once) and carried
   * out in the background, as a `push` activity of the app; the answer does not wait for it.
   */
  async receive(app: string, headers: Headers, body: Buffer): Promise<HookAnswer> {
    const { repos, owner, log } = this.context;
    const pipeline = (await repos.pipelines.get(app))?.value;
    if (!pipeline) throw notFound('pipeline of app', app);
    let provider: 'github' | 'gitlab';
    try {
      provider = verifyDelivery(headers, body, pipeline.secret);
    } catch (error) {
      // No token, so no audit entry: the log keeps the refusal.
      log.warn({ app, why: (error as Error).message }, 'a webhook delivery was refused');
      throw error;
    }
    const delivery = readDelivery(provider, headers, body);
    if (delivery.kind === 'ping') return { accepted: false, message: 'pong' };
    if (delivery.kind === 'ignored') return { accepted: false, message: delivery.why };
    const { push } = delivery;
    if (push.branch !== pipeline.branch) return { accepted: false, message: `a push to ${push.branch}; ${app} follows ${pipeline.branch}` };
    const record: Push = { app, sha: push.sha, branch: push.branch, provider, ...(push.delivery ? { delivery: push.delivery } : {}), ...(push.pusher ? { pusher: push.pusher } : {}), receivedAt: new Date().toISOString(), owner };
    const key = repos.pushes.key(app, push.sha);
    if (!(await repos.commit([absent(key)], [put(key, record)]))) {
      const first = await repos.pushes.get(app, push.sha);
      // A push whose core died before its version was tested is taken over by a redelivery (GitHub and GitLab offer one).
      if (!first || !(await this.abandoned(first.value)) || !(await repos.commit([unchanged(key, first.revision)], [put(key, record)]))) {
        return { accepted: false, duplicate: true, sha: push.sha, message: `${push.sha.slice(0, 7)} was received already${first ? ` at ${first.value.receivedAt}` : ''}: built once` };
      }
    }
    announcePush(this.context, record);
    const queue = runInBackground<PushEvent>(
      (emit, room) => carryOutPush(this.context, this.deps, pipeline, record, emit, room),
      (error) => failedResult(error, ErrorCode.BUILD_FAILED),
    );
    const tracked = await trackActivity(this.context, { kind: 'push', app, pod: pipeline.pod, version: push.sha }, queue);
    // No one reads the stream of a push: it is drained here (the activity keeps its lines).
    void (async () => {
      for await (const step of tracked) if (step.type === 'result' && !step.ok) log.warn({ app, sha: push.sha, error: step.error }, 'a push failed');
    })();
    return { accepted: true, sha: push.sha, message: `${push.sha.slice(0, 7)} taken up: fetched, built, tested${pipeline.release ? ' and released when it passes' : ''} (eru app activities ${app})` };
  }
}
