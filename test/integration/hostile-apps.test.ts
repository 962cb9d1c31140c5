import assert from 'node:assert/strict';
import { existsSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { GitRepo } from '../../harness/git.js';
import { removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/**
 * A hostile app.yaml, end to end: everything in it is either refused at registration (with its field)
 * or stays data, run only by the app's own shell inside its own container. Marker files show where
 * a command ran: each hostile string tries to touch one on the host; it must appear only inside.
 */
describe('hostile app.yaml: refused or inert, at build and at deploy', () => {
  const docker = testDocker();
  const suffix = uniqueSuffix().replace(/[^a-z0-9]/g, 'x');
  const app = `evil${suffix.slice(-6)}`;
  const pod = `hostile-${suffix}`;
  const mark = `/tmp/eru-hostile-${suffix}`;
  const secret = `/tmp/eru-secret-${suffix}`;
  const hostileArg = `a'b "c" $(touch ${mark}-deploy) && \`id\`; echo x\nnext line`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repo: GitRepo;
  let sha = '';
  /** app.yaml is YAML, and JSON is YAML: each hostile string goes in exactly as written here. */
  const appYaml = (overrides: Record<string, unknown> = {}): string =>
    JSON.stringify({
      appname: app,
      base: 'local/busybox:1',
      build: [
        `echo "double" 'single' > /tmp/quotes`,
        `echo $(touch ${mark}-build) \`id -u\` > /tmp/subst && true && echo and >> /tmp/subst`,
        `echo first > /tmp/nl\necho 'USER root' >> /tmp/nl`,
        `echo ${'x'.repeat(4000)} > /tmp/long`,
        // The app's user made root by name: as root in the build, the app's line in /etc/passwd says uid 0.
        `sed -i 's/^${app}:x:10001:10001:/${app}:x:0:0:/' /etc/passwd`,
      ],
      entrypoints: {
        web: { commands: ['sh', '-c', 'printf %s "$1" > /tmp/arg; exec httpd -f -p 8080 -h /tmp', 'argv0', hostileArg], ports: ['8080/tcp'] },
        shell: { cmd: `echo "$(echo inner)" 'it'"'"'s' "$EVIL" > /tmp/out; touch ${mark}-cmd; exec sleep 300` },
        whoami: { cmd: 'id -u; id -g; grep "^$(id -un 2>/dev/null || echo none):" /etc/passwd; exec sleep 300' },
      },
      meta: { owner: `'; touch ${mark}-meta #` },
      ...overrides,
    });
  const markers = (): string[] => ['build', 'deploy', 'cmd', 'meta', 'env'].map((m) => `${mark}-${m}`).filter((path) => existsSync(path));
  /** Runs a shell line in a throwaway container of the image (as root, to read anything). */
  const inImage = async (image: string, line: string): Promise<string> => {
    const container = await docker.createContainer({ Image: image, Entrypoint: ['/bin/sh', '-c', line], User: '0', Labels: { 'eru.pod': pod } });
    try {
      await container.start();
      await container.wait();
      const logs = await container.logs({ stdout: true, stderr: true });
      return demux(logs);
    } finally {
      await container.remove({ force: true });
    }
  };

  before(async () => {
    dir = await tempDir('eru-hostile-');
    writeFileSync(secret, 'host secret\n');
    repo = GitRepo.create(join(dir.path, 'src'), { 'app.yaml': appYaml() });
    // Links out of the checkout: the build context carries the links, never what they point at.
    symlinkSync(secret, join(repo.path, 'leak'));
    symlinkSync('/etc', join(repo.path, 'etc-leak'));
    sha = repo.commit({}, 'links out');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    await core.api('POST', `/v1/pods/${pod}/nodes`, { name: `h-${suffix}`, endpoint: dockerEndpoint() });
  });
  after(async () => {
    await removePodContainers(docker, pod);
    await removeAppImages(docker, app);
    for (const path of [secret, ...['build', 'deploy', 'cmd', 'meta', 'env'].map((m) => `${mark}-${m}`)]) rmSync(path, { force: true });
    await core?.stop();
    await dir?.remove();
  });

  it('builds: quotes, $(), backticks, newlines, && and a 4,000-character command run only inside the build container', async () => {
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const build = await core.eru(['build', app, '--revision', sha, '--pod', pod]);
    assert.equal(build.code, 0, build.stderr);
    const image = `${app}:${sha}`;
    assert.deepEqual(markers(), [], 'nothing ran on the host');
    const inspected = await docker.getImage(image).inspect();
    assert.equal(inspected.Config.User, '10001:10001', 'a newline in a build command did not add a USER line; the user is numeric');
    assert.match(await inImage(image, `grep ^${app}: /etc/passwd`), new RegExp(`^${app}:x:0:0:`), 'the build step did make the name root in the image');
    assert.equal(await inImage(image, 'cat /tmp/quotes'), 'double single\n');
    assert.equal(await inImage(image, 'cat /tmp/subst'), '0\nand\n', '$() and `` ran in the build container, as root there');
    assert.equal(await inImage(image, `test -e ${mark}-build && echo inside`), 'inside\n');
    assert.equal(await inImage(image, 'cat /tmp/nl'), 'first\nUSER root\n');
    assert.equal(await inImage(image, 'wc -c < /tmp/long'), '4001\n');
    assert.equal(await inImage(image, `readlink /${app}/leak; cat /${app}/leak 2>&1 || true`), `${secret}\ncat: can't open '/${app}/leak': No such file or directory\n`);
    assert.equal(await inImage(image, `readlink /${app}/etc-leak`), '/etc\n');
  });

  it('a build step that makes the app\'s name root in /etc/passwd: the container still runs as 10001:10001', async () => {
    const deployed = await core.eru(['deploy', app, '--version', sha, '--entry', 'whoami', '--pod', pod, '--cpu', '0.1']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [workload] = (await core.api<Array<{ id: string }>>('GET', `/v1/workloads?app=${app}&entry=whoami`)).body;
    const logs = await eventually(async () => {
      const out = demux(await docker.getContainer(workload!.id).logs({ stdout: true, stderr: true }));
      return out.includes('\n') ? out : undefined;
    }, 10_000, 'id -u in the container');
    const [uid, gid] = logs.split('\n');
    assert.deepEqual([uid, gid], ['10001', '10001'], logs);
    assert.equal((await docker.getContainer(workload!.id).inspect()).Config.User, '10001:10001');
  });

  it('deploys: a commands list reaches the process word for word; cmd and env values stay data', async () => {
    const port = await freePort();
    const web = await core.eru(['deploy', app, '--version', sha, '--entry', 'web', '--pod', pod, '--cpu', '0.1', '--publish', `${port}:8080`]);
    assert.equal(web.code, 0, web.stderr);
    const served = await eventually(async () => fetch(`http://127.0.0.1:${port}/arg`).then((r) => (r.ok ? r.text() : undefined)).catch(() => undefined), 15_000, 'the web entrypoint');
    assert.equal(served, hostileArg);

    assert.equal((await core.eru(['app', 'env', 'set', app, 'prod', `EVIL=$(touch ${mark}-env) \`id\``])).code, 0);
    const shell = await core.eru(['deploy', app, '--version', sha, '--entry', 'shell', '--pod', pod, '--cpu', '0.1', '--env-set', 'prod', '--json']);
    assert.equal(shell.code, 0, shell.stderr);
    const [workload] = (await core.api<Array<{ id: string }>>('GET', `/v1/workloads?app=${app}&entry=shell`)).body;
    const container = docker.getContainer(workload!.id);
    const out = await eventually(async () => execIn(container, ['cat', '/tmp/out']).catch(() => undefined), 10_000, 'the shell entrypoint');
    assert.equal(out, `inner it's $(touch ${mark}-env) \`id\`\n`);
    assert.equal(await execIn(container, ['sh', '-c', `test -e ${mark}-cmd && echo inside`]), 'inside\n');
    assert.equal((await container.inspect()).Config.Labels[`eru.meta.owner`], `'; touch ${mark}-meta #`, 'meta is a label value, nothing more');
    assert.deepEqual(markers(), [], 'nothing ran on the host');
  });

  it('refuses what could reach the host or the Dockerfile, naming the field, and registers nothing', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['bind of /', { binds: { '/': { bind: '/host' } } }, new RegExp(`binds\\./: an app binds only under its own directory of a bind root \\(/srv/eru/${app}/, /var/log/eru/${app}/\\)`)],
      ['bind of the Docker socket', { binds: { '/var/run/docker.sock': { bind: '/docker.sock' } } }, /only under its own directory of a bind root/],
      ["bind of a bind root itself", { binds: { '/srv/eru': { bind: '/all' } } }, /only under its own directory of a bind root/],
      ['traversal in a bind source', { binds: { '/srv/eru/../../etc': { bind: '/etc2' } } }, /binds.*may not contain "\.\."/],
      ['traversal in a bind target', { binds: { '/srv/eru/logs': { bind: '/logs/../../bin' } } }, /binds.*may not contain "\.\."/],
      ['traversal in a working directory', { entrypoints: { web: { cmd: 'true', dir: '/app/../../root' } } }, /entrypoints\.web\.dir: dir: may not contain "\.\."/],
      ['shell in a working directory', { entrypoints: { web: { cmd: 'true', dir: '/app; touch /x' } } }, /entrypoints\.web\.dir/],
      ['a relative volume', { volumes: ['../data'] }, /volumes\.0/],
      ['a newline in the base', { base: 'local/busybox:1\nRUN touch /x' }, /base: an image reference/],
      ['shell in the app name', { appname: 'evil;touch' }, /appname/],
      ['shell in an entrypoint name', { entrypoints: { 'web;id': { cmd: 'true' } } }, /entrypoints\.web;id: bad name/],
      ['a 5,000-character build command', { build: ['x'.repeat(5000)] }, /build\.0/],
      ['shell in a meta key', { meta: { 'a;touch /x': 'v' } }, /meta\.a;touch \/x: bad name/],
    ];
    const versionsBefore = (await core.api<unknown[]>('GET', `/v1/apps/${app}/versions`)).body.length;
    for (const [what, overrides, message] of cases) {
      repo.commit({ 'app.yaml': appYaml(overrides) }, what);
      const result = await core.eru(['app', 'register', '--dir', repo.path]);
      assert.equal(result.code, 1, `${what}: ${result.stdout}`);
      assert.match(result.stderr, message, what);
    }
    assert.equal((await core.api<unknown[]>('GET', `/v1/apps/${app}/versions`)).body.length, versionsBefore);
    // The API gives the field's path too.
    const api = await core.api<{ code: string; path: string }>('POST', '/v1/apps/versions', { sha: repo.head(), repo: repo.path, appYaml: appYaml({ binds: { '/': { bind: '/host' } } }) });
    assert.equal(api.status, 422);
    assert.deepEqual([api.body.code, api.body.path], ['FORBIDDEN_BIND', 'app.yaml.binds./']);
    assert.deepEqual(markers(), []);
  });
});

async function execIn(container: Docker.Container, cmd: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`${cmd.join(' ')} exited ${ExitCode}`);
  return demux(Buffer.concat(chunks));
}

/** Docker's multiplexed stdout/stderr frames (8-byte headers) to plain text. */
function demux(buffer: Buffer): string {
  let text = '';
  for (let offset = 0; offset + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(offset + 4);
    text += buffer.subarray(offset + 8, offset + 8 + size).toString();
    offset += 8 + size;
  }
  return text;
}
