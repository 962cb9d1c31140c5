import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';
import { GitRepo } from '../../harness/git.js';
import { dockerEndpoint, uniqueSuffix } from '../../harness/services.js';

const DEBIAN = 'local/debian:bookworm';

describe('eru image base: a base image made from Debian busybox-static on the nodes of a pod', () => {
  it('makes local/busybox:1 on a node that lacks it, a line per node; a job then runs on it; again is a no-op', async () => {
    const extra = await ExtraDaemon.start(4);
    const dir = await tempDir('eru-base-');
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    const pod = `base-${uniqueSuffix()}`;
    try {
      await extra.docker.getImage(BASE_IMAGE).remove({ force: true });
      await core.api('POST', '/v1/pods', { name: pod });
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'bare', endpoint: extra.endpoint, cpus: ['0'] })).status, 201);

      const made = await core.eru(['image', 'base', 'busybox', '--pod', pod]);
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stdout, /^bare: made local\/busybox:1 \([0-9a-f]{12}\)$/m);
      const image = await extra.docker.getImage(BASE_IMAGE).inspect();
      assert.deepEqual(image.Config.Env, ['PATH=/bin']);

      const job = await core.eru(['run', '--pod', pod, '--image', BASE_IMAGE, '--cpu', '0.1', '--', 'sh', '-c', 'echo $((6*7)); ls -ld /tmp']);
      assert.equal(job.code, 0, job.stderr);
      assert.match(job.stdout, /^42\ndrwxrwxrwt /);

      const again = JSON.parse((await core.eru(['image', 'base', 'busybox', '--pod', pod, '--json'])).stdout.split('\n')[0]!) as { made: boolean; id: string };
      assert.deepEqual([again.made, again.id], [false, image.Id]);

      const unknown = await core.eru(['image', 'base', 'alpine', '--pod', pod]);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /"alpine" is not a base Eru can make \(busybox, debian\)/);
      const ghost = await core.eru(['image', 'base', 'busybox', '--pod', 'ghost']);
      assert.equal(ghost.code, 1);
      assert.match(ghost.stderr, /pod ghost/);
    } finally {
      await removePodContainers(extra.docker, pod);
      await core.stop();
      await extra.stop();
      await dir.remove();
    }
  });

  it('makes local/debian:bookworm with debootstrap; an app builds on it (useradd) and runs as its own user', async () => {
    const docker = testDocker();
    const dir = await tempDir('eru-debian-');
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    const pod = `deb-${uniqueSuffix()}`;
    const app = `deb${uniqueSuffix().slice(-6).replace(/[^a-z0-9]/g, 'x')}`;
    const repo = join(dir.path, 'src');
    const had = await docker.getImage(DEBIAN).inspect().then(() => true, () => false);
    try {
      await core.api('POST', '/v1/pods', { name: pod });
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'local', endpoint: dockerEndpoint() })).status, 201);
      // debootstrap downloads and unpacks Debian's base packages: about a minute here.
      const made = await core.eru(['image', 'base', 'debian', '--pod', pod, '--force'], { timeoutMs: 600_000 });
      assert.equal(made.code, 0, made.stderr);
      assert.match(made.stderr, /debootstrap --variant=minbase bookworm from http/);
      assert.match(made.stdout, /^local: made local\/debian:bookworm \([0-9a-f]{12}\)$/m);

      const appYaml = [
        `appname: ${app}`,
        `base: ${DEBIAN}`,
        'build:',
        '  - grep -q bookworm /etc/os-release && echo built > /tmp/built',
        'entrypoints:',
        '  main:',
        '    cmd: echo "$(id -un) $(cat /etc/debian_version) $(cat /tmp/built)"',
        '',
      ].join('\n');
      const sha = GitRepo.create(repo, { 'app.yaml': appYaml }).head();
      assert.equal((await core.eru(['app', 'register', '--dir', repo])).code, 0);
      const build = await core.eru(['build', app, '--revision', sha, '--pod', pod]);
      assert.equal(build.code, 0, build.stderr);
      const job = await core.eru(['run', '--pod', pod, '--image', `${app}:${sha}`, '--cpu', '0.1', '--', 'main']);
      assert.equal(job.code, 0, job.stderr);
      assert.match(job.stdout, new RegExp(`^${app} 12\\.\\d+ built$`, 'm'));
    } finally {
      await removePodContainers(docker, pod);
      await removeAppImages(docker, app);
      if (!had) await docker.getImage(DEBIAN).remove({ force: true }).catch(() => undefined);
      await core.stop();
      await dir.remove();
    }
  });

  it('eru image cache puts a built version on the nodes that lack it, ahead of the deploy', async () => {
    const extra = await ExtraDaemon.start(5);
    const dir = await tempDir('eru-cache-');
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    const pod = `cache-${uniqueSuffix()}`;
    const app = `ca${uniqueSuffix().slice(-6).replace(/[^a-z0-9]/g, 'x')}`;
    try {
      const repo = GitRepo.create(join(dir.path, 'src'), { 'app.yaml': EXAMPLE_APP_YAML.replace('appname: hello', `appname: ${app}`), 'index.html': 'cached\n' });
      const sha = repo.head();
      await core.api('POST', '/v1/pods', { name: pod });
      // The main daemon has more free CPU: the build lands there.
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'a-main', endpoint: dockerEndpoint() })).status, 201);
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: 'b-extra', endpoint: extra.endpoint, cpus: ['0'] })).status, 201);
      assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);

      const unbuilt = await core.eru(['image', 'cache', app, '--version', sha, '--pod', pod]);
      assert.equal(unbuilt.code, 1);
      assert.match(unbuilt.stderr, new RegExp(`${app}@${sha.slice(0, 7)} has not been built`));
      assert.equal((await core.eru(['build', app, '--revision', sha, '--pod', pod])).code, 0);

      const cached = await core.eru(['image', 'cache', app, '--version', sha, '--pod', pod]);
      assert.equal(cached.code, 0, cached.stderr);
      assert.deepEqual(cached.stdout.trim().split('\n').sort(), [`a-main: ${app}:${sha} is there already`, `b-extra: copied ${app}:${sha} from a-main`]);
      await extra.docker.getImage(`${app}:${sha}`).inspect();

      const deployed = await core.eru(['deploy', app, '--version', sha, '--entry', 'worker', '--pod', pod, '--strategy', 'EACH', '--count', '1', '--cpu', '0.1']);
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.doesNotMatch(deployed.stderr, /copied/, 'the deploy found the image in place');
    } finally {
      await removePodContainers(testDocker(), pod);
      await removeAppImages(testDocker(), app);
      await core.stop();
      await extra.stop();
      await dir.remove();
    }
  });
});
