import { event } from '../../bus/index.js';
import type { BuildEvent } from '../../contract/events.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import type { AppVersion } from '../../model/app.js';
import type { CoreContext } from '../context.js';
import { buildVersionImage } from '../images/build.js';
import { testVersion } from './test.js';

/** The last event of a build, tests included: an image that was built but failed its tests is a failure. */
export type BuildResult = Extract<BuildEvent, { type: 'result' }>;

/**
 * Steps "build" and "test" of the pipeline (README.md): the version's image, then its app.yaml's
 * tests when it has any. Each step is announced on the bus (`version.built`, `version.tested`). A
 * test that fails makes the whole a failure (TESTS_FAILED, with the exit code and the last lines), as a
 * CI step would be; the image stays, so the version can still be deployed with --allow-untested.
 */
export async function buildAndTest(
  context: CoreContext,
  version: AppVersion,
  pod: string,
  emit: (event: BuildEvent) => void,
  room: () => Promise<void>,
  source?: Parameters<typeof buildVersionImage>[4],
): Promise<BuildResult> {
  const built = await buildVersionImage(context, version, pod, emit, source);
  context.publish(event('version.built', { app: version.app, pod, node: built.builtOn, data: { sha: version.sha, image: built.image, ...(version.local ? { local: true } : {}) } }));
  const test = await testVersion(context, built, pod, emit, room);
  if (test && test.state !== 'passed') {
    const why = test.state === 'error' ? `could not run: ${test.reason}` : `failed${test.exitCode !== undefined ? ` (exit ${test.exitCode})` : ''}${test.reason ? `: ${test.reason}` : ''}`;
    const lastLines = test.tail.slice(-5).join('\n');
    throw new EruError(ErrorCode.TESTS_FAILED, `${version.app}@${version.sha.slice(0, 7)} was built (${built.image}) but its tests ${why}${lastLines ? `\n${lastLines}` : ''}`, {
      details: { state: test.state, exitCode: test.exitCode, reason: test.reason, tail: test.tail, image: built.image },
    });
  }
  return { type: 'result', ok: true, image: built.image, node: built.builtOn!, test: test ? 'passed' : 'none' };
}
