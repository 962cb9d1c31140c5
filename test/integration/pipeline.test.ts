import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openBus } from '../../src/bus/index.js';
import type { Bus } from '../../src/bus/types.js';
import type { AppVersionView } from '../../src/contract/apps.js';
import type { EruEvent } from '../../src/contract/events.js';
import type { NodeView } from '../../src/contract/nodes.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, execIn, removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { GitRepo, GitServer } from '../../harness/git.js';
import { dockerEndpoint, eventually, redisUrl, uniqueSuffix } from '../../harness/services.js';

/** An app whose tests read a file of the commit: `ok` passes, anything else fails with exit 3. */
function appYaml(app: string, extra = ''): string {
  return [
    `appname: ${app}`,
    `base: ${BASE_IMAGE}`,
    'build:',
    '  deps: {files: [deps.txt], commands: ["cp deps.txt /deps-installed && echo installing deps"]}',
    '  commands: ["mkdir -p /www && cp index.html /www/"]',
    'entrypoints:',
    '  web: {cmd: httpd -f -p 8080 -h /www, ports: ["8080/tcp"]}',
    'test:',
    '  commands: ["echo testing with MODE=$MODE", "test \\"$(cat verdict)\\" = ok || { echo verdict: $(cat verdict); exit 3; }", "test \\"$MODE\\" = test"]',
    '  timeout: 60s',
    'test_resources: {cpu: 0.5, memory: 32MiB}',
    extra,
  ].join('\n');
}

/**
 * A version's app.yaml tests, run by `eru build` in a container the scheduler places in the pod: a
 * version that passes may be deployed; one that fails is recorded with its exit code and last lines
 * and refused by deploy, replace and apply unless --allow-untested is said; a dependency step is
 * reused from the build cache when only code changes.
 */
describe('the pipeline: tests in app.yaml gate a version', () => {
  const docker = testDocker();
  const pod = `pipe-${uniqueSuffix()}`;
  const node = `pipe-${uniqueSuffix().slice(-6)}`;
  const app = `pipe${uniqueSuffix().slice(-6).replace(/[^a-z0-9]/g, 'x')}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repo: GitRepo;

  before(async () => {
    dir = await tempDir('eru-pipeline-');
    repo = GitRepo.create(join(dir.path, 'src'), { 'app.yaml': appYaml(app), 'index.html': 'one\n', 'deps.txt': 'left-pad 1.0\n', verdict: 'ok\n' });
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 })).status, 201);
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint() })).status, 201);
    // The tests' environment: the app's `test` env set.
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    assert.equal((await core.eru(['app', 'env', 'set', app, 'test', 'MODE=test'])).code, 0);
  });
  after(async () => {
    await removePodContainers(docker, pod);
    await removeAppImages(docker, app);
    await core?.stop();
    await dir?.remove();
  });

  const versions = async (): Promise<AppVersionView[]> => JSON.parse((await core.eru(['app', 'versions', app, '--json'])).stdout) as AppVersionView[];
  const cpuFree = async (): Promise<number> => (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.resources.cpuFree;

  it('a passing test: eru build streams its output, records it passed, frees what it held; the version deploys', async () => {
    const sha = repo.head();
    const freeBefore = await cpuFree();
    const build = await core.eru(['build', app, '--revision', sha.slice(0, 7), '--pod', pod]);
    assert.equal(build.code, 0, build.stderr);
    assert.match(build.stdout, /its tests passed/);
    assert.match(build.stderr, new RegExp(`testing on ${node} \\(${app}_test_\\w+, 0.5 CPU, timeout 60 s\\)`));
    assert.match(build.stderr, /\| testing with MODE=test/, 'the test env set reached the test container');
    assert.match(build.stderr, /tests passed in \d+\.\d s/);
    const [version] = await versions();
    assert.equal(version!.testState, 'passed');
    assert.deepEqual([version!.test?.exitCode, version!.test?.node], [0, node]);
    assert.ok(version!.test!.tail.includes('testing with MODE=test'), JSON.stringify(version!.test));
    // The test container is gone and its half core free again.
    assert.equal(await cpuFree(), freeBefore);
    assert.deepEqual((await docker.listContainers({ all: true, filters: { label: [`eru.app=${app}`] } })).map((c) => c.Names), []);
    const deployed = await core.eru(['deploy', app, '--version', sha.slice(0, 7), '--entry', 'web', '--pod', pod, '--cpu', '0.1']);
    assert.equal(deployed.code, 0, deployed.stderr);
  });

  it('a failing test: eru build exits non-zero with its last lines; deploy, replace and apply refuse the version unless --allow-untested', async () => {
    const sha = repo.commit({ verdict: 'broken\n', 'index.html': 'two\n' }, 'a failing commit');
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const build = await core.eru(['build', app, '--revision', sha.slice(0, 7), '--pod', pod]);
    assert.notEqual(build.code, 0, 'a failed test fails the build step');
    assert.match(build.stderr, /tests failed \(exit 3\)/);
    assert.match(build.stderr, new RegExp(`${app}@${sha.slice(0, 7)} was built \\(${app}:${sha}\\) but its tests failed \\(exit 3\\)\\n.*verdict: broken`, 's'));
    const failed = (await versions()).find((v) => v.sha === sha)!;
    assert.deepEqual([failed.testState, failed.test?.exitCode, failed.image], ['failed', 3, `${app}:${sha}`]);

    const deploy = await core.eru(['deploy', app, '--version', sha.slice(0, 7), '--entry', 'web', '--pod', pod, '--cpu', '0.1']);
    assert.equal(deploy.code, 1);
    assert.match(deploy.stderr, new RegExp(`${app}@${sha.slice(0, 7)} failed its tests \\(exit 3\\); last lines:\\n.*verdict: broken.*--allow-untested runs it anyway`, 's'));
    const api = await core.api<{ code: string; path: string }>('POST', '/v1/workloads', { pod, app, entry: 'web', version: sha, count: 1, cpu: 0.1 });
    assert.deepEqual([api.status, api.body.code, api.body.path], [409, 'UNTESTED_VERSION', 'version']);
    const replace = await core.eru(['replace', app, '--entry', 'web', '--pod', pod, '--version', sha.slice(0, 7)]);
    assert.equal(replace.code, 1);
    assert.match(replace.stderr, /failed its tests/);
    const file = join(dir.path, 'desired.yaml');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, `services:\n  - {app: ${app}, pod: ${pod}, entry: web, version: ${sha.slice(0, 7)}, count: 1, cpu: 0.1}\n`));
    const apply = await core.eru(['apply', file]);
    assert.equal(apply.code, 1);
    assert.match(apply.stderr, /services\.0\.version: .*failed its tests/);
    const running = (await core.api<Array<{ image: string }>>('GET', `/v1/workloads?app=${app}&pod=${pod}`)).body;
    assert.deepEqual(running.map((w) => w.image), [`${app}:${(await versions())[0]!.sha}`], 'the service still runs the version that passed');

    const anyway = await core.eru(['replace', app, '--entry', 'web', '--pod', pod, '--version', sha.slice(0, 7), '--allow-untested']);
    assert.equal(anyway.code, 0, anyway.stderr);
    await eventually(async () => (await core.api<Array<{ image: string }>>('GET', `/v1/workloads?app=${app}&pod=${pod}`)).body.every((w) => w.image === `${app}:${sha}`), 30_000, 'the replace');
  });

  it('eru build --dir: the tracked files with their uncommitted changes, untracked ones left out, as a local version', async () => {
    const { writeFile } = await import('node:fs/promises');
    // The last commit fails its tests; the uncommitted verdict makes the tree pass.
    await writeFile(join(repo.path, 'index.html'), 'not committed yet\n');
    await writeFile(join(repo.path, 'verdict'), 'ok\n');
    await writeFile(join(repo.path, 'untracked.txt'), 'never sent\n');
    const head = repo.head();
    const build = await core.eru(['build', app, '--dir', repo.path, '--pod', pod]);
    assert.equal(build.code, 0, build.stderr);
    const sha = /the working tree is local version ([0-9a-f]{7})/.exec(build.stderr)![1]!;
    assert.equal(repo.head(), head, 'the checkout is left as it was');
    assert.equal(repo.git('status', '--porcelain'), 'M index.html\n M verdict\n?? untracked.txt', 'its changes are left as they were (git trims the leading space)');
    const local = (await versions()).find((v) => v.sha.startsWith(sha))!;
    assert.deepEqual([local.local, local.testState, local.repo], [true, 'passed', 'local']);
    assert.match((await core.eru(['app', 'versions', app])).stdout, new RegExp(`${sha} \\(local\\)`));
    // The same tree again is the same version.
    const again = await core.eru(['build', app, '--dir', repo.path, '--pod', pod]);
    assert.match(again.stderr, new RegExp(`local version ${sha}`));
    const job = await core.eru(['run', '--pod', pod, '--image', local.image!, '--cpu', '0.1', '--', 'sh', '-c', `cat /www/index.html; test -e /${app}/untracked.txt && echo untracked-sent || echo untracked-left-out`]);
    assert.equal(job.code, 0, job.stderr);
    assert.match(job.stdout, /not committed yet\n.*untracked-left-out/s);
    repo.git('checkout', '--', 'index.html', 'verdict');
    const { rm } = await import('node:fs/promises');
    await rm(join(repo.path, 'untracked.txt'));
  });

  it('a test past its timeout is killed and fails; a code-only change reuses the dependency step from the build cache', async () => {
    const sha = repo.commit({ verdict: 'ok\n', 'app.yaml': appYaml(app).replace('timeout: 60s', 'timeout: 2s').replace('"echo testing with MODE=$MODE"', '"echo testing with MODE=$MODE", "sleep 30"') }, 'a slow test');
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const started = Date.now();
    const build = await core.eru(['build', app, '--revision', sha.slice(0, 7), '--pod', pod]);
    assert.notEqual(build.code, 0);
    assert.match(build.stderr, /tests failed \(exit 137\): timed out after 2 s/);
    assert.ok(Date.now() - started < 25_000, 'killed at its timeout, not after the sleep');
    assert.match(build.stderr, /installing deps|Using cache/);
    // Only index.html changes: the dependency step comes from the cache.
    const next = repo.commit({ 'index.html': 'three\n', 'app.yaml': appYaml(app) }, 'code only');
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const cached = await core.eru(['build', app, '--revision', next.slice(0, 7), '--pod', pod]);
    assert.equal(cached.code, 0, cached.stderr);
    const steps = cached.stderr.split(/\n(?=Step \d+\/\d+ :)/);
    const depsStep = steps.find((s) => s.includes('installing deps'));
    assert.ok(depsStep?.includes('Using cache'), `the dependency step was not rebuilt:\n${depsStep}`);
    const codeStep = steps.find((s) => /COPY --chown=10001:10001 \[".","/.test(s));
    assert.ok(codeStep && !codeStep.includes('Using cache'), 'the code was copied again');
  });
});

/**
 * The seed's pipeline end to end: a real git server on loopback (`git daemon`), real `git push`es, and
 * the webhook called with the JSON and headers GitHub and GitLab send, signed by the test. A push whose
 * tests pass is built, tested and released to its service, which then answers with the new content,
 * the events in order on the bus (Redis); one whose tests fail is marked failed and the service stays.
 */
describe('the pipeline: a git push builds, tests and releases by itself', () => {
  const docker = testDocker();
  const pod = `push-${uniqueSuffix()}`;
  const node = `push-${uniqueSuffix().slice(-6)}`;
  const app = `push${uniqueSuffix().slice(-6).replace(/[^a-z0-9]/g, 'x')}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let server: GitServer;
  let work: GitRepo;
  let bus: Bus;
  const heard: EruEvent[] = [];

  before(async () => {
    dir = await tempDir('eru-push-');
    server = await GitServer.start(join(dir.path, 'served'));
    const url = server.create(app);
    work = GitRepo.create(join(dir.path, 'work'), { 'app.yaml': appYaml(app), 'index.html': 'one\n', 'deps.txt': 'left-pad 1.0\n', verdict: 'ok\n' });
    work.git('remote', 'add', 'origin', url);
    work.git('push', '-q', 'origin', 'HEAD:main');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--bus', redisUrl()]);
    bus = openBus(redisUrl());
    await bus.subscribe({ kind: 'app', app }, (e) => heard.push(e));
    assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 })).status, 201);
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint() })).status, 201);
    // The first version by hand: registered from the clone (its origin is the git server), built, tested, deployed.
    assert.equal((await core.eru(['app', 'register', '--dir', work.path])).code, 0);
    assert.equal((await core.eru(['app', 'env', 'set', app, 'test', 'MODE=test'])).code, 0);
    assert.equal((await core.eru(['build', app, '--revision', work.head().slice(0, 7), '--pod', pod])).code, 0);
    const deployed = await core.eru(['deploy', app, '--version', work.head().slice(0, 7), '--entry', 'web', '--pod', pod, '--count', '2', '--cpu', '0.1']);
    assert.equal(deployed.code, 0, deployed.stderr);
  });
  after(async () => {
    await bus?.close();
    await removePodContainers(docker, pod);
    await removeAppImages(docker, app);
    await core?.stop();
    await server?.stop();
    await dir?.remove();
  });

  /** What each instance of the service answers, asked from inside its container (its loopback). */
  const pages = async (): Promise<string[]> => {
    const instances = (await core.api<Array<{ id: string }>>('GET', `/v1/workloads?app=${app}&pod=${pod}&entry=web`)).body;
    return Promise.all(instances.map(async (w) => (await execIn(docker, w.id, ['wget', '-qO-', 'http://127.0.0.1:8080/index.html'], 10_000).catch(() => ({ output: '' }))).output));
  };
  const versionOf = async (sha: string): Promise<AppVersionView | undefined> => (JSON.parse((await core.eru(['app', 'versions', app, '--json'])).stdout) as AppVersionView[]).find((v) => v.sha === sha);

  /** A delivery as GitHub sends it: its push JSON, its headers, signed with `secret` (X-Hub-Signature-256). */
  const github = (sha: string, secret: string, delivery = randomUUID()): Promise<Response> => {
    const body = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(39) + '1', after: sha, created: false, deleted: false, forced: false, pusher: { name: 'octocat', email: 'octocat@github.com' }, repository: { name: app, full_name: `octo-org/${app}`, clone_url: 'https://github.com/octo-org/elsewhere.git' }, head_commit: { id: sha, message: 'change' } });
    return fetch(`${core.url}/v1/hooks/git/${app}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/044aadd', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-github-hook-id': '292430182', 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
      body,
    });
  };
  /** A delivery as GitLab sends it: its Push Hook JSON and its X-Gitlab-Token. */
  const gitlab = (sha: string, token: string): Promise<Response> =>
    fetch(`${core.url}/v1/hooks/git/${app}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': token, 'x-gitlab-event-uuid': randomUUID(), 'x-gitlab-instance': 'https://gitlab.example.com' },
      body: JSON.stringify({ object_kind: 'push', event_name: 'push', before: '0'.repeat(39) + '1', after: sha, ref: 'refs/heads/main', checkout_sha: sha, user_username: 'jsmith', project: { name: app, git_http_url: 'http://gitlab.example.com/mike/elsewhere.git' }, total_commits_count: 1 }),
    });

  it('a push that passes: built, tested, released to the service (replace), which answers with the new content; its events in order on the bus', async () => {
    const shown = await core.eru(['app', 'hook', 'show', app, '--pod', pod]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`url\\s+${core.url}/v1/hooks/git/${app}`));
    const secret = /secret\s+([0-9a-f]{64})/.exec(shown.stdout)![1]!;
    assert.equal((await core.eru(['app', 'release', app, '--entry', 'web', '--pod', pod])).code, 0);

    const sha = work.commit({ 'index.html': 'two\n' }, 'the second version');
    work.git('push', '-q', 'origin', 'HEAD:main');
    const from = heard.length;
    const answer = await github(sha, secret);
    assert.equal(answer.status, 202, await answer.clone().text());
    assert.deepEqual(((await answer.json()) as { accepted: boolean }).accepted, true);
    await eventually(async () => (await core.api<Array<{ image: string }>>('GET', `/v1/workloads?app=${app}&pod=${pod}`)).body.every((w) => w.image === `${app}:${sha}`), 120_000, 'the service on the pushed version');
    await eventually(async () => (await pages()).join('') === 'two\ntwo\n', 20_000, 'both instances answering with the new content');
    await eventually(async () => heard.slice(from).some((e) => e.type === 'version.released'), 10_000, 'version.released on the bus');
    const types = heard.slice(from).map((e) => e.type).filter((t) => t.startsWith('version.') || t === 'app.registered');
    assert.deepEqual(types, ['version.pushed', 'app.registered', 'version.built', 'version.tested', 'version.released']);
    assert.ok(heard.slice(from).filter((e) => e.type.startsWith('version.')).every((e) => (e.data as { sha?: string }).sha === sha));
    assert.equal((await versionOf(sha))!.testState, 'passed');
    // The push's activity tells the whole story, from the delivery to the replace.
    const story = (await core.client.apps.activities(app)).find((a) => a.kind === 'push' && a.version === sha)!;
    const lines = story.lines.join('\n');
    assert.equal(story.ok, true, story.summary);
    assert.match(lines, new RegExp(`push to main: ${sha.slice(0, 7)} by octocat \\(github delivery`));
    assert.match(lines, /tested state=passed/);
    assert.match(lines, /rollout 1 of .*→ /);
    assert.match(lines, new RegExp(`released ${sha.slice(0, 7)} to ${app}/web in pod ${pod}`));
    assert.ok(lines.indexOf('tested state=passed') < lines.indexOf('rollout 1 of'), 'released after it was tested');
  });

  it('a push that fails its tests (told by GitLab): marked failed with its output; the service stays; deploy of it is refused', async () => {
    const secret = ((await core.client.apps.pipeline(app)) as { secret: string }).secret;
    const before = (await core.api<Array<{ image: string }>>('GET', `/v1/workloads?app=${app}&pod=${pod}`)).body.map((w) => w.image);
    const sha = work.commit({ 'index.html': 'three\n', verdict: 'nope\n' }, 'a broken version');
    work.git('push', '-q', 'origin', 'HEAD:main');
    const answer = await gitlab(sha, secret);
    assert.equal(answer.status, 202, await answer.clone().text());
    const failed = await eventually(async () => {
      const version = await versionOf(sha);
      return version?.testState === 'failed' ? version : undefined;
    }, 90_000, 'the version tested');
    assert.equal(failed.test?.exitCode, 3);
    assert.ok(failed.test?.tail.includes('verdict: nope'), JSON.stringify(failed.test));
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await pages(), ['two\n', 'two\n'], 'the service still answers with the version that passed');
    assert.deepEqual((await core.api<Array<{ image: string }>>('GET', `/v1/workloads?app=${app}&pod=${pod}`)).body.map((w) => w.image), before);
    const refused = await core.eru(['deploy', app, '--version', sha.slice(0, 7), '--entry', 'web', '--pod', pod, '--cpu', '0.1']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /failed its tests \(exit 3\)/);
  });

  it('a wrongly signed or unsigned delivery does nothing (401); the same delivery sent twice builds once', async () => {
    const secret = ((await core.client.apps.pipeline(app)) as { secret: string }).secret;
    const sha = work.commit({ 'index.html': 'four\n', verdict: 'ok\n' }, 'the fourth');
    work.git('push', '-q', 'origin', 'HEAD:main');
    const wrong = await github(sha, 'not the secret');
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { code: string }).code, 'BAD_SIGNATURE');
    const unsigned = await fetch(`${core.url}/v1/hooks/git/${app}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push' }, body: '{}' });
    assert.equal(unsigned.status, 401);
    assert.equal(await versionOf(sha), undefined, 'nothing registered');

    const delivery = randomUUID();
    const [first, again] = [await github(sha, secret, delivery), await github(sha, secret, delivery)];
    assert.equal(first.status, 202);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { duplicate?: boolean }).duplicate, true);
    await eventually(async () => (await versionOf(sha))?.testState === 'passed', 90_000, 'the fourth tested');
    const pushes = (await core.client.apps.activities(app)).filter((a) => a.kind === 'push' && a.version === sha);
    assert.equal(pushes.length, 1, 'built once');
  });

  it('a push whose core is SIGKILLed while its tests run is not lost: a redelivery takes it over and it is tested to the end', async () => {
    const secret = ((await core.client.apps.pipeline(app)) as { secret: string }).secret;
    const sha = work.commit({ 'index.html': 'five\n', 'app.yaml': appYaml(app).replace('"echo testing with MODE=$MODE"', '"echo testing with MODE=$MODE", "sleep 8"') }, 'a slow test');
    work.git('push', '-q', 'origin', 'HEAD:main');
    const delivery = randomUUID();
    assert.equal((await github(sha, secret, delivery)).status, 202);
    await eventually(async () => (await versionOf(sha))?.testState === 'running', 60_000, 'its tests running');
    await core.stop('SIGKILL');
    await core.start();
    // While the dead core's lease lasts the push is still its own; then the same delivery, sent again, takes it over.
    const takenOver = await eventually(async () => {
      const again = await github(sha, secret, delivery);
      return again.status === 202 ? again : (await new Promise((r) => setTimeout(r, 500)), null);
    }, 30_000, 'the redelivery taken up');
    assert.equal(((await takenOver.json()) as { accepted: boolean }).accepted, true);
    const tested = await eventually(async () => {
      const version = await versionOf(sha);
      return version?.testState === 'passed' ? version : undefined;
    }, 90_000, 'the version tested to the end');
    assert.ok(tested.test!.durationMs! >= 8000, 'its test ran whole');
    assert.equal((await github(sha, secret, delivery)).status, 200, 'done now: a third delivery is a duplicate');
  });
});
