import assert from 'node:assert/strict';
import { chownSync, existsSync, lstatSync, mkdirSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Workload } from '../../src/model/workload.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { GitRepo } from '../../harness/git.js';
import { eruContainers, removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/**
 * An app.yaml's binds, checked where they are used: on the node, by its agent, just before the
 * container is made. The attack of the security review, replayed: an app that may write in its bind
 * plants `x -> /` there, and a later version binds `.../x` — refused, nothing mounted.
 */
describe("app.yaml binds: under the app's own directory of a bind root, checked on the node at create time", () => {
  const docker = testDocker();
  const tag = uniqueSuffix().replace(/[^a-z0-9]/g, 'x');
  const app = `bindy${tag.slice(-6)}`;
  const pod = `binds-${tag}`;
  const node = `bn-${tag}`;
  let core: CoreProcess;
  let agent: AgentProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let root: string;
  let repo: GitRepo;

  const appYaml = (binds: Record<string, string>, cmd: string): string =>
    JSON.stringify({ appname: app, base: 'local/busybox:1', entrypoints: { main: { cmd } }, binds: Object.fromEntries(Object.entries(binds).map(([source, bind]) => [source, { bind }])) });

  /** Registers HEAD, builds it, and deploys its `main`: the CLI's result. */
  const release = async (): Promise<{ code: number; stderr: string; sha: string }> => {
    const sha = repo.head();
    const registered = await core.eru(['app', 'register', '--dir', repo.path]);
    if (registered.code !== 0) return { ...registered, sha };
    const built = await core.eru(['build', app, '--revision', sha, '--pod', pod], { timeoutMs: 180_000 });
    assert.equal(built.code, 0, built.stderr);
    return { ...(await core.eru(['deploy', app, '--version', sha, '--entry', 'main', '--pod', pod, '--cpu', '0.1'], { timeoutMs: 120_000 })), sha };
  };
  const containersOf = async (sha: string): Promise<number> => (await eruContainers(docker, pod)).filter((c) => c.Image.includes(sha) || c.Labels['eru.app'] === app).length;

  before(async () => {
    dir = await tempDir('eru-binds-');
    root = join(dir.path, 'binds');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--bind-root', root]);
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    assert.equal((await core.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--cpus', '0,1', '--memory', '1GiB'])).code, 0);
    const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    agent = new AgentProcess(core.url, node, token, dockerEndpoint());
    agent.start();
    repo = GitRepo.create(join(dir.path, 'src'), { 'app.yaml': appYaml({ [`${root}/${app}/data`]: '/data' }, 'echo written > /data/file; ln -s / /data/x; exec sleep 600') });
  });
  after(async () => {
    await agent?.stop();
    await removePodContainers(docker, pod);
    await removeAppImages(docker, app);
    await core?.stop();
    await dir?.remove();
  });

  it('a version binding its own directory runs: made on the node as the app\'s (10001), its parents root\'s', async () => {
    const first = await release();
    assert.equal(first.code, 0, first.stderr);
    const data = `${root}/${app}/data`;
    await eventually(async () => existsSync(`${data}/file`) && lstatSync(`${data}/x`, { throwIfNoEntry: false })?.isSymbolicLink() === true, 15_000, 'the workload to write and plant its link');
    assert.deepEqual([statSync(data).uid, statSync(data).mode & 0o777], [10001, 0o750]);
    assert.deepEqual([statSync(`${root}/${app}`).uid, statSync(`${root}/${app}`).mode & 0o777], [0, 0o755]);
    // What the workload planted, as the review found it possible: a link to the host's root in its bind.
    assert.equal(readlinkSync(`${data}/x`), '/');
  });

  it('the review\'s attack: a later version binding the planted link is refused on the node, nothing made or mounted', async () => {
    const before = (await eruContainers(docker, pod)).length;
    repo.commit({ 'app.yaml': appYaml({ [`${root}/${app}/data/x`]: '/host' }, 'ls /host/etc > /dev/null && echo reached-the-host; exec sleep 600') }, 'bind the link');
    const attack = await release();
    assert.notEqual(attack.code, 0, 'the deploy failed');
    // Refused on the node: the link's own directory is the app's (which is how it could plant the link).
    assert.match(attack.stderr, new RegExp(`bind ${root}/${app}/data/x on ${node}: ${root}/${app}/data is not root's alone \\(owner 10001, mode 750\\).*; nothing was made`));
    assert.equal((await eruContainers(docker, pod)).length, before, 'no container of the version was made');
    assert.deepEqual((await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body.filter((w) => w.binds.some((b) => b.includes('/data/x'))), []);
  });

  it('a link or a foreign owner above the bind, planted after registration: refused at create time with the path', async () => {
    // Registered while the path is clean; then the app's directory is swapped for a link (as root, from outside).
    repo.commit({ 'app.yaml': appYaml({ [`${root}/${app}/logs`]: '/logs' }, 'exec sleep 600') }, 'logs');
    const sha = repo.head();
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    assert.equal((await core.eru(['build', app, '--revision', sha, '--pod', pod], { timeoutMs: 180_000 })).code, 0);
    const elsewhere = join(dir.path, 'elsewhere');
    mkdirSync(`${elsewhere}/logs`, { recursive: true });
    const logs = `${root}/${app}/logs`;
    symlinkSync(`${elsewhere}/logs`, logs);
    const linked = await core.eru(['deploy', app, '--version', sha, '--entry', 'main', '--pod', pod, '--cpu', '0.1']);
    assert.notEqual(linked.code, 0);
    assert.match(linked.stderr, new RegExp(`${logs} is a symbolic link \\(to ${elsewhere}/logs\\)`));
    // A directory above the bind that someone else may write: refused too (it could be swapped before the mount).
    const loose = `${root}/${app}/loose`;
    mkdirSync(`${loose}`, { recursive: true });
    chownSync(loose, 10001, 10001);
    repo.commit({ 'app.yaml': appYaml({ [`${loose}/inner`]: '/inner' }, 'exec sleep 600') }, 'loose');
    const refused = await release();
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`${loose} is not root's alone \\(owner 10001`));
    assert.equal(existsSync(`${loose}/inner`), false, 'nothing was made under it');
    assert.equal(await containersOf(refused.sha), 1, 'only the first version runs');
  });

  it("registration refuses a bind outside the app's own directory of a root, naming the field", async () => {
    for (const source of [root, `${root}/otherapp/data`, '/var/run/docker.sock']) {
      const result = await core.api<{ code: string; path: string; message: string }>('POST', '/v1/apps/versions', {
        sha: repo.head(),
        repo: repo.path,
        appYaml: appYaml({ [source]: '/x' }, 'true'),
      });
      assert.equal(result.status, 422, `${source}: ${JSON.stringify(result.body)}`);
      assert.deepEqual([result.body.code, result.body.path], ['FORBIDDEN_BIND', `app.yaml.binds.${source}`]);
      assert.match(result.body.message, new RegExp(`only under its own directory of a bind root \\(${root}/${app}/\\)`));
    }
  });
});
