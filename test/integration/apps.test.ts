import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';
import { removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { GitRepo } from '../../harness/git.js';
import { LocalRegistry } from '../../harness/registry.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

const APP_YAML = EXAMPLE_APP_YAML;

describe('apps: registering versions from a git checkout, env per environment', () => {
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repo: GitRepo;

  before(async () => {
    dir = await tempDir('eru-apps-');
    repo = GitRepo.create(join(dir.path, 'hello'), { 'app.yaml': APP_YAML, 'index.html': 'hello\n' });
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  });
  after(async () => {
    await core?.stop();
    await dir?.remove();
  });

  it('registers HEAD with its sha and path, and a second commit as a second version', async () => {
    const first = repo.head();
    const result = await core.eru(['app', 'register', '--dir', repo.path]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `registered hello@${first.slice(0, 7)} (entrypoints: web, worker) from ${repo.path}`);
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0, 'registering the same sha again is fine');

    const second = repo.commit({ 'index.html': 'hello again\n' }, 'second');
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const versions = JSON.parse((await core.eru(['app', 'versions', 'hello', '--json'])).stdout) as Array<{ sha: string }>;
    assert.deepEqual(versions.map((v) => v.sha), [first, second]);
    assert.match((await core.eru(['app', 'ls'])).stdout, /^hello\s+2\s+/m);
  });

  it('refuses a bad app.yaml with its field and line, and registers nothing', async () => {
    repo.commit({ 'app.yaml': APP_YAML.replace('  worker:', '  bad_worker:') }, 'broken');
    const result = await core.eru(['app', 'register', '--dir', repo.path]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^eru: app\.yaml line 17: entrypoints\.bad_worker: bad name: .*no "_"/m);
    assert.equal((JSON.parse((await core.eru(['app', 'versions', 'hello', '--json'])).stdout) as unknown[]).length, 2);
    const outside = await core.eru(['app', 'register', '--dir', dir.path]);
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /git rev-parse in .*: fatal: not a git repository/);
  });

  it('keeps env vars per environment, apart from app.yaml', async () => {
    assert.equal((await core.eru(['app', 'env', 'set', 'hello', 'prod', 'DB=postgres://db', 'MODE=fast'])).code, 0);
    assert.equal((await core.eru(['app', 'env', 'set', 'hello', 'prod', 'MODE=safe'])).code, 0);
    assert.equal((await core.eru(['app', 'env', 'set', 'hello', 'staging', 'MODE=test'])).code, 0);
    const prod = JSON.parse((await core.eru(['app', 'env', 'show', 'hello', 'prod', '--json'])).stdout) as { vars: Record<string, string> };
    assert.deepEqual(prod.vars, { DB: 'postgres://db', MODE: 'safe' });
    const bad = await core.eru(['app', 'env', 'set', 'hello', 'prod', '1BAD=x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /vars\.1BAD/);
    assert.equal((await core.eru(['app', 'env', 'show', 'ghost', 'prod'])).code, 1);
  });
});

describe('builds: an image per version from app.yaml, deployed by version', () => {
  const docker = testDocker();
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repo: GitRepo;
  const pod = `build-${uniqueSuffix()}`;
  const app = `web${uniqueSuffix().slice(-6).replace(/[^a-z0-9]/g, 'x')}`;
  let first = '';
  const commit = (html: string): string => repo.commit({ 'index.html': html }, html);

  before(async () => {
    dir = await tempDir('eru-build-');
    repo = GitRepo.create(join(dir.path, 'src'), { 'app.yaml': APP_YAML.replace('appname: hello', `appname: ${app}`), 'index.html': 'first version\n' });
    first = repo.head();
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    await core.api('POST', `/v1/pods/${pod}/nodes`, { name: `b-${uniqueSuffix()}`, endpoint: dockerEndpoint() });
  });
  after(async () => {
    await removePodContainers(docker, pod);
    await removeAppImages(docker, app);
    await core?.stop();
    await dir?.remove();
  });

  it('builds a version tagged with its full sha, deploys its web entrypoint, which answers and turns healthy; a second commit builds a second tag', async () => {
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const build = await core.eru(['build', app, '--revision', first.slice(0, 7), '--pod', pod]);
    assert.equal(build.code, 0, build.stderr);
    // Tagged by the full sha (a short prefix could be ground to by another commit), and recorded by ID.
    assert.match(build.stdout, new RegExp(`^built ${app}:${first} on b-`, 'm'));
    assert.match(build.stderr, /Step \d+\/\d+ : FROM local\/busybox:1/);
    const image = await docker.getImage(`${app}:${first}`).inspect();
    assert.equal(image.Config.User, '10001:10001', 'the app runs as its numeric uid, not a name /etc/passwd could make root');

    const port = await freePort();
    const deployed = await core.eru(['deploy', app, '--version', first.slice(0, 7), '--entry', 'web', '--pod', pod, '--cpu', '0.1', '--memory', '32MiB', '--publish', `${port}:8080`]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const body = await eventually(async () => fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text()).catch(() => undefined), 15_000, 'the web entrypoint');
    assert.equal(body, 'first version\n');
    const [workload] = (await core.api<Array<{ id: string; command: string[] }>>('GET', `/v1/workloads?app=${app}`)).body;
    // The image's launcher runs the entrypoint by name.
    assert.deepEqual(workload!.command, ['web']);
    assert.deepEqual(image.Config.Entrypoint, ['/bin/sh', '/.eru/launch']);
    const container = await docker.getContainer(workload!.id).inspect();
    assert.deepEqual(Object.keys(container.Config.ExposedPorts ?? {}), ['8080/tcp'], 'the entrypoint declares its port');
    // Made from exactly the image built (its ID, recorded with the version), as uid 10001 whatever the image says.
    const [built] = JSON.parse((await core.eru(['app', 'versions', app, '--json'])).stdout) as Array<{ imageId?: string }>;
    assert.equal(built!.imageId, image.Id);
    assert.equal(container.Image, image.Id);
    assert.equal(container.Config.User, '10001:10001');
    await eventually(async () => (await docker.getContainer(workload!.id).inspect()).State.Health?.Status === 'healthy', 20_000, 'healthy');

    // The worker entrypoint of the same version: its own command, run by the image's launcher.
    const worker = await core.eru(['deploy', app, '--version', first.slice(0, 7), '--entry', 'worker', '--pod', pod, '--cpu', '0.1', '--memory', '16MiB']);
    assert.equal(worker.code, 0, worker.stderr);
    const [workerWorkload] = (await core.api<Array<{ id: string; command: string[] }>>('GET', `/v1/workloads?app=${app}&entry=worker`)).body;
    assert.deepEqual(workerWorkload!.command, ['worker']);
    const logs = await eventually(async () => {
      const result = await core.eru(['logs', workerWorkload!.id]);
      return /\d{2}:\d{2}:\d{2}/.test(result.stdout) ? result.stdout : undefined;
    }, 15_000, 'the worker to print the date');
    assert.match(logs, /UTC \d{4}/);

    const second = commit('second version\n');
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    assert.equal((await core.eru(['build', app, '--revision', second, '--pod', pod])).code, 0);
    const versions = JSON.parse((await core.eru(['app', 'versions', app, '--json'])).stdout) as Array<{ sha: string; image?: string }>;
    assert.deepEqual(versions.map((v) => v.image), [`${app}:${first}`, `${app}:${second}`]);
  });

  it('refuses to deploy a version never built, and an entrypoint the app does not have', async () => {
    const third = commit('third\n');
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const unbuilt = await core.eru(['deploy', app, '--version', third.slice(0, 7), '--entry', 'web', '--pod', pod, '--cpu', '0.1']);
    assert.equal(unbuilt.code, 1);
    assert.match(unbuilt.stderr, new RegExp(`${app}@${third.slice(0, 7)} has not been built: eru build ${app} --revision ${third.slice(0, 7)}`));
    const versions = JSON.parse((await core.eru(['app', 'versions', app, '--json'])).stdout) as Array<{ sha: string }>;
    const noEntry = await core.eru(['deploy', app, '--version', versions[0]!.sha.slice(0, 7), '--entry', 'nope', '--pod', pod, '--cpu', '0.1']);
    assert.equal(noEntry.code, 1);
    assert.match(noEntry.stderr, /has no entrypoint nope \(it has web, worker\)/);
  });
});

describe('images on every node: a version built on one daemon runs on another', () => {
  /** Builds on the main daemon, deploys on an extra one that lacks the image; `then` runs before the clean-up. */
  async function buildHereRunThere(
    registry?: LocalRegistry,
    then?: (run: { core: CoreProcess; extra: ExtraDaemon; image: string; app: string; sha: string }) => Promise<void>,
  ): Promise<{ app: string; sha: string; progress: string; build: string }> {
    const dir = await tempDir('eru-copy-');
    const app = `cp${uniqueSuffix().slice(-6).replace(/[^a-z0-9]/g, 'x')}`;
    const repo = GitRepo.create(join(dir.path, 'src'), { 'app.yaml': EXAMPLE_APP_YAML.replace('appname: hello', `appname: ${app}`), 'index.html': 'copied\n' });
    const sha = repo.head();
    const extra = await ExtraDaemon.start(3);
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, registry ? ['--registry', registry.address] : []);
    const pod = `copy-${uniqueSuffix()}`;
    try {
      await core.api('POST', '/v1/pods', { name: pod });
      // The main daemon has more free CPU, so the build lands there; the extra one lacks the image.
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'a-main', endpoint: dockerEndpoint() })).status, 201);
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'b-extra', endpoint: extra.endpoint, cpus: ['0'] })).status, 201);
      assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
      const build = await core.eru(['build', app, '--revision', sha, '--pod', pod]);
      assert.equal(build.code, 0, build.stderr);
      const image = `${registry ? `${registry.address}/` : ''}${app}:${sha}`;
      assert.match(build.stdout, new RegExp(`built ${image.replace(/\./g, '\\.')} on a-main`));
      await assert.rejects(extra.docker.getImage(image).inspect());
      const deployed = await core.eru(['deploy', app, '--version', sha, '--entry', 'worker', '--pod', pod, '--strategy', 'EACH', '--count', '1', '--cpu', '0.1']);
      assert.equal(deployed.code, 0, deployed.stderr);
      const onExtra = await extra.docker.listContainers({ filters: { label: [`eru.app=${app}`] } });
      assert.equal(onExtra.length, 1);
      assert.equal(onExtra[0]!.State, 'running');
      // Made from the image's ID, which is the same on the node it reached as where it was built.
      assert.equal(onExtra[0]!.Image, (await testDocker().getImage(image).inspect()).Id);
      assert.equal((await extra.docker.getImage(image).inspect()).Id, onExtra[0]!.Image);

      // A job by image (any app name) on a node that lacks it: the image's name says which version it is.
      await extra.docker.getImage(image).remove({ force: true });
      const job = await core.eru(['run', '--pod', pod, '--node', 'b-extra', '--image', image, '--cpu', '0.1', '--', 'sh', '-c', `cat /${app}/index.html`]);
      assert.equal(job.code, 0, job.stderr);
      assert.equal(job.stdout, 'copied\n');
      await then?.({ core, extra, image, app, sha });
      return { app, sha, progress: deployed.stderr, build: build.stderr };
    } finally {
      await removePodContainers(testDocker(), pod);
      await core.stop();
      await extra.stop();
      await removeAppImages(testDocker(), app);
      await dir.remove();
    }
  }

  it('without a registry, copies the image to the node that lacks it (export and load through the Engine API)', async () => {
    const { app, sha, progress } = await buildHereRunThere();
    assert.match(progress, new RegExp(`copied ${app}:${sha} to b-extra from a-main`));
  });

  it('with a registry (docker-registry on 127.0.0.1), pushes the build and the other node pulls it; with the registry gone, copies and says why', async () => {
    const registry = await LocalRegistry.start();
    try {
      const { app, sha, progress, build } = await buildHereRunThere(registry, async ({ core, extra, image, app, sha }) => {
        assert.deepEqual(await registry.tags(app), [sha], 'the registry holds the tag');
        // The registry goes away: a node that lacks the image gets a copy from the build node, and is told why.
        await registry.stop();
        await extra.docker.getImage(image).remove({ force: true });
        const cached = await core.eru(['image', 'cache', app, '--version', sha, '--node', 'b-extra']);
        assert.equal(cached.code, 0, cached.stderr);
        assert.match(cached.stdout, new RegExp(`^b-extra: copied ${image.replace(/\./g, '\\.')} from a-main \\(the pull from ${registry.address.replace(/\./g, '\\.')} failed: .*connection refused\\)$`, 'm'));
      });
      assert.match(build, new RegExp(`pushed ${registry.address}/${app}:${sha} to ${registry.address}`));
      assert.match(progress, new RegExp(`pulled ${registry.address}/${app}:${sha} on b-extra from ${registry.address}`));
      assert.doesNotMatch(progress, /copied/);
    } finally {
      await registry.stop();
    }
  });
});
