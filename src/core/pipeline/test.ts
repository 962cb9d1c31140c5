import { parseAppYaml, type AppYaml } from '../../build/appyaml.js';
import { shellWord } from '../../build/launcher.js';
import { event } from '../../bus/index.js';
import type { BuildEvent } from '../../contract/events.js';
import { JobBodySchema } from '../../contract/workloads.js';
import { engineMessage } from '../../engine/engines.js';
import { EruError } from '../../lib/errors.js';
import type { AppVersion, VersionTest } from '../../model/app.js';
import { APP_USER } from '../../model/user.js';
import type { CoreContext } from '../context.js';
import { runJob } from '../deploy/job.js';
import { put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';

/** Lines of a test's output kept with the version. */
const TAIL_LINES = 50;
/** A test's CPU when app.yaml's `test_resources` does not say. */
const DEFAULT_TEST_CPU = 1;

/** The test command: `cmd` as the image's `sh -c` runs it, or `commands` one after the other, stopping at the first that fails. */
function testScript(test: NonNullable<AppYaml['test']>): string {
  return test.cmd ?? test.commands!.map((command) => `sh -c ${shellWord(command)} || exit $?`).join('\n');
}

/** Writes the version's test record (guarded by its revision; a version deleted meanwhile is left so). */
async function recordTest(context: CoreContext, version: AppVersion, test: VersionTest): Promise<void> {
  const { repos } = context;
  await optimistic(`recording the tests of ${version.app}@${version.sha.slice(0, 7)}`, async () => {
    const current = await repos.versions.get(version.app, version.sha);
    if (!current) return true;
    const key = repos.versions.key(version.app, version.sha);
    return (await repos.commit([unchanged(key, current.revision)], [put(key, { ...current.value, test })])) ? true : undefined;
  });
}

/**
 * Runs a built version's app.yaml `test:` (step "test" of the pipeline, README.md): a job of the
 * version's image placed by the scheduler in the pod (its CPU and memory held while it runs, like
 * any workload's), with the app's `test` env set when there is one, its output streamed, killed at its
 * timeout. The outcome — passed or failed by the exit code, or an error when it could not run — is
 * recorded on the version and broadcast (`version.tested`). Undefined when app.yaml has no `test:`.
 */
export async function testVersion(context: CoreContext, version: AppVersion & { image: string }, pod: string, emit: (event: BuildEvent) => void, room: () => Promise<void>): Promise<VersionTest | undefined> {
  const app = parseAppYaml(version.appYaml);
  if (!app.test) return undefined;
  const { repos, publish, engines } = context;
  const startedAt = new Date();
  const hasTestEnv = (await repos.appEnvs.get(version.app, 'test')) !== null;
  const body = JobBodySchema.parse({
    pod,
    app: version.app,
    entry: 'test',
    image: version.image,
    ...(version.imageId ? { imageId: version.imageId } : {}),
    command: ['/bin/sh', '-c', testScript(app.test)],
    cpu: app.test_resources?.cpu ?? DEFAULT_TEST_CPU,
    memory: app.test_resources?.memory ?? 0,
    user: APP_USER,
    labels: { 'eru.test': version.sha },
    ...(hasTestEnv ? { envSet: { name: 'test', version: (await repos.appEnvs.get(version.app, 'test'))!.value.version } } : {}),
  });
  const tail: string[] = [];
  let node: string | undefined;
  let exitCode: number | undefined;
  let reason: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  await recordTest(context, version, { state: 'running', startedAt: startedAt.toISOString(), owner: context.owner, tail: [] });
  try {
    for await (const step of await runJob(context, body)) {
      if (step.type === 'planned') node = step.workloads[0]?.node;
      else if (step.type === 'created') {
        const docker = engines.get((await repos.nodes.get(step.node))!.value);
        emit({ type: 'testing', node: step.node, workload: step.id, cpu: body.cpu, memory: body.memory, timeout: app.test.timeout });
        timer = setTimeout(() => {
          reason = `timed out after ${app.test!.timeout} s`;
          docker.getContainer(step.container).kill().catch(() => undefined);
        }, app.test.timeout * 1000);
      } else if (step.type === 'output') {
        await room();
        emit({ type: 'test-output', line: step.line, stream: step.stream });
        tail.push(step.line);
        if (tail.length > TAIL_LINES) tail.shift();
      } else if (step.type === 'result') {
        if (step.ok) exitCode = step.exitCode;
        else reason ??= step.error.message;
      }
    }
  } catch (error) {
    // Refused before it ran (no room in the pod, a bad env set): not a verdict on the code.
    reason = error instanceof EruError ? error.message : engineMessage(error);
  } finally {
    clearTimeout(timer);
  }
  const state = exitCode === undefined ? 'error' : exitCode === 0 && reason === undefined ? 'passed' : 'failed';
  const test: VersionTest = {
    state,
    startedAt: startedAt.toISOString(),
    ...(node ? { node } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(reason ? { reason } : {}),
    durationMs: Date.now() - startedAt.getTime(),
    tail,
  };
  await recordTest(context, version, test);
  emit({ type: 'tested', state, durationMs: test.durationMs!, ...(exitCode !== undefined ? { exitCode } : {}), ...(reason ? { reason } : {}) });
  publish(event('version.tested', { app: version.app, pod, data: { sha: version.sha, state, ...(exitCode !== undefined ? { exitCode } : {}), durationMs: test.durationMs, ...(reason ? { reason } : {}) } }));
  return test;
}
