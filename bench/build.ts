/**
 * Build benchmark (`npm run bench:build`) on the local Docker daemon, measured in one run. An app with
 * a dependency step (`build.deps`: a file, and a command that takes a few seconds, as `npm ci` would)
 * gets a code-only change per trial (its index.html), and each new version is built:
 *   - Eru: `eru build` (POST /v1/apps/APP/builds: git checkout, Dockerfile from app.yaml, docker build
 *     on the app's last build node, the image recorded) — the dependency step comes from the cache;
 *   - baseline: a plain `docker build` (the Engine API, as `docker build` calls it) of the same
 *     generated Dockerfile and context, checked out beforehand (not timed), its cache as warm (its
 *     code file differs from Eru's by a word, so that neither finds the other's code steps cached);
 *   - without deps: the same app with its dependency command among the build commands, after the
 *     code is copied (what app.yaml could say before `build.deps`): every code change runs it again.
 * Prints the medians and the ratios. Target: Eru ≤ ×1.1 of the plain build.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildEvent } from '../src/contract/events.js';
import { parseAppYaml } from '../src/build/appyaml.js';
import { checkout, DOCKERFILE_NAME, writeBuildFiles } from '../src/build/builder.js';
import { LAUNCHER_DIR, launcherFiles } from '../src/build/launcher.js';
import { followProgress } from '../src/engine/progress.js';
import { EruError, ErrorCode } from '../src/lib/errors.js';
import { CoreProcess, tempDir } from '../harness/core.js';
import { removeAppImages, testDocker } from '../harness/docker.js';
import { GitRepo } from '../harness/git.js';
import { median, timed } from './support/figures.js';

const TRIALS = Number(process.env.TRIALS ?? 5);
const POD = 'bbench';
const WITH_DEPS = 'bbench';
const WITHOUT_DEPS = 'bbenchnodeps';
const PLAIN = 'bbench-plain';
const docker = testDocker('unix:///var/run/docker.sock');

/** A dependency install: a few seconds of work and a 20 MiB result. */
const INSTALL = 'i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); done; dd if=/dev/urandom of=/opt/deps bs=1M count=20 2>/dev/null; echo installed';

const appYaml = (app: string, deps: boolean): string => `appname: ${app}
base: local/busybox:1
build:
${deps ? `  deps: {files: [deps.txt], commands: [${JSON.stringify(INSTALL)}]}\n  commands: ["mkdir -p /www && cp index.html /www/"]` : `  - ${JSON.stringify(INSTALL)}\n  - mkdir -p /www && cp index.html /www/`}
entrypoints:
  web: {cmd: httpd -f -p 8080 -h /www}
`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function eruBuild(core: CoreProcess, app: string, sha: string): Promise<number> {
  let result: BuildEvent | undefined;
  const ms = await timed(async () => {
    result = (await core.client.collect<BuildEvent>('POST', `/v1/apps/${app}/builds`, { version: sha, pod: POD })).events.at(-1);
  });
  if (result?.type !== 'result' || !result.ok) throw new Error(`eru build of ${app}@${sha.slice(0, 7)} failed: ${JSON.stringify(result)}`);
  return ms;
}

/** The same context Eru builds (the checkout, the generated Dockerfile and launcher), built with a plain Engine API call. */
async function plainBuild(repo: string, sha: string, text: string): Promise<number> {
  const tree = await checkout(repo, sha);
  try {
    const app = parseAppYaml(text);
    await writeBuildFiles(tree.dir, text);
    // Code of its own (the same size), so that its code steps are built, not taken from the cache Eru's build of this commit left.
    await writeFile(join(tree.dir, 'index.html'), `${sha.slice(0, 7)} plain\n`);
    const files = [DOCKERFILE_NAME, 'app.yaml', 'deps.txt', 'index.html', ...[...launcherFiles(app).keys()].map((p) => join(LAUNCHER_DIR, p))];
    return await timed(async () => {
      const stream = await docker.buildImage({ context: tree.dir, src: files }, { t: `${PLAIN}:${sha}`, dockerfile: DOCKERFILE_NAME, rm: true, forcerm: true });
      await followProgress(docker, stream, (message) => new EruError(ErrorCode.BUILD_FAILED, message), () => undefined);
    });
  } finally {
    await tree.remove();
  }
}

async function main(): Promise<void> {
  const dir = await tempDir('eru-bench-build-');
  const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  const scratch = await mkdtemp(join(tmpdir(), 'eru-bench-build-'));
  try {
    await core.api('POST', '/v1/pods', { name: POD, sharebase: 100 });
    await core.api('POST', `/v1/pods/${POD}/nodes`, { name: 'bbench-node', endpoint: 'unix:///var/run/docker.sock' });
    const repos = {
      deps: GitRepo.create(join(scratch, 'deps'), { 'app.yaml': appYaml(WITH_DEPS, true), 'deps.txt': 'left-pad 1.0\n', 'index.html': 'v0\n' }),
      plain: GitRepo.create(join(scratch, 'nodeps'), { 'app.yaml': appYaml(WITHOUT_DEPS, false), 'deps.txt': 'left-pad 1.0\n', 'index.html': 'v0\n' }),
    };
    for (const repo of Object.values(repos)) if ((await core.eru(['app', 'register', '--dir', repo.path])).code !== 0) throw new Error('register failed');
    // The first builds fill the cache (the dependency step runs once), and are reported apart.
    const first = await eruBuild(core, WITH_DEPS, repos.deps.head());
    await eruBuild(core, WITHOUT_DEPS, repos.plain.head());
    await plainBuild(repos.deps.path, repos.deps.head(), appYaml(WITH_DEPS, true));
    console.log(`first build (nothing cached): ${seconds(first)}`);

    const eru: number[] = [];
    const plain: number[] = [];
    const nodeps: number[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const sha = repos.deps.commit({ 'index.html': `v${trial}\n` }, `code change ${trial}`);
      const other = repos.plain.commit({ 'index.html': `v${trial}\n` }, `code change ${trial}`);
      for (const repo of Object.values(repos)) if ((await core.eru(['app', 'register', '--dir', repo.path])).code !== 0) throw new Error('register failed');
      // Interleaved, in turn first, so neither always meets a warmer page cache.
      const order = trial % 2 === 0 ? ['eru', 'plain'] : ['plain', 'eru'];
      for (const which of order) {
        if (which === 'eru') eru.push(await eruBuild(core, WITH_DEPS, sha));
        else plain.push(await plainBuild(repos.deps.path, sha, appYaml(WITH_DEPS, true)));
      }
      nodeps.push(await eruBuild(core, WITHOUT_DEPS, other));
      console.log(`trial ${trial}: eru build ${seconds(eru.at(-1)!)}, plain docker build ${seconds(plain.at(-1)!)}, without deps: ${seconds(nodeps.at(-1)!)}`);
    }
    const [e, p, n] = [median(eru), median(plain), median(nodeps)];
    console.log(`\na code-only change, median of ${TRIALS}:`);
    console.log(`  eru build (deps cached)        ${seconds(e)}`);
    console.log(`  plain docker build, cache warm ${seconds(p)}   eru ×${(e / p).toFixed(2)} (target ≤ ×1.1)`);
    console.log(`  eru build without build.deps   ${seconds(n)}   ×${(n / e).toFixed(1)} the time with deps`);
  } finally {
    await core.stop();
    for (const app of [WITH_DEPS, WITHOUT_DEPS, PLAIN]) await removeAppImages(docker, app);
    await rm(scratch, { recursive: true, force: true });
    await dir.remove();
  }
}

await main();
