import { EruError, ErrorCode, conflict, notFound } from '../../lib/errors.js';
import { parseAppYaml } from '../../build/appyaml.js';
import { VersionRefSchema, type AppVersion, type TestState } from '../../model/app.js';
import type { Repositories, Versioned } from '../repositories.js';

/** A version by a prefix of its sha (7 hex digits or more). */
export async function resolveVersion(repos: Repositories, app: string, prefix: string): Promise<Versioned<AppVersion>> {
  if (!VersionRefSchema.safeParse(prefix).success) {
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `version "${prefix}": give 7 to 40 hex digits of the commit sha`, { path: ['version'] });
  }
  if (!(await repos.apps.get(app))) throw notFound('app', app);
  const matches = (await repos.versions.list(app)).filter((v) => v.value.sha.startsWith(prefix));
  if (matches.length === 0) throw notFound(`version of ${app}`, prefix);
  if (matches.length > 1) throw conflict(`version ${prefix} of ${app} is ambiguous: ${matches.map((m) => m.value.sha.slice(0, 10)).join(', ')}`);
  return matches[0]!;
}

/** A version that has been built: its image, or a NOT_BUILT error that says how to build it. */
export async function builtVersion(repos: Repositories, app: string, prefix: string): Promise<AppVersion & { image: string }> {
  const version = (await resolveVersion(repos, app, prefix)).value;
  if (!version.image) {
    throw new EruError(ErrorCode.NOT_BUILT, `${app}@${version.sha.slice(0, 7)} has not been built: eru build ${app} --revision ${version.sha.slice(0, 7)}`, {
      path: ['version'],
    });
  }
  return { ...version, image: version.image };
}

/** Where a version stands with its app.yaml `test:`. */
export function testState(version: AppVersion): TestState {
  if (!parseAppYaml(version.appYaml).test) return 'none';
  return version.test?.state ?? 'untested';
}

/**
 * A version may run (deploy, replace, apply, release) only when its tests passed, or its app.yaml has
 * none; else UNTESTED_VERSION says why, unless the request says `allowUntested`.
 */
export function requireTested(version: AppVersion, allowUntested: boolean): void {
  const state = testState(version);
  if (allowUntested || state === 'none' || state === 'passed') return;
  const name = `${version.app}@${version.sha.slice(0, 7)}`;
  const test = version.test;
  const why =
    state === 'failed'
      ? `failed its tests${test?.exitCode !== undefined ? ` (exit ${test.exitCode})` : ''}${test?.reason ? `: ${test.reason}` : ''}${test?.tail.length ? `; last lines:\n${test.tail.slice(-5).join('\n')}` : ''}`
      : state === 'running'
        ? 'is being tested'
        : state === 'error'
          ? `could not be tested: ${test?.reason ?? 'unknown'}`
          : `has not been tested: eru build ${version.app} --revision ${version.sha.slice(0, 7)}`;
  throw new EruError(ErrorCode.UNTESTED_VERSION, `${name} ${why} (--allow-untested runs it anyway)`, { path: ['version'], details: { state, ...(test ? { test } : {}) } });
}
