import assert from 'node:assert/strict';
import { parseMemory } from '../../src/lib/units.js';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { VolumeView } from '../../src/contract/apps.js';
import type { Workload } from '../../src/model/workload.js';
import { AgentProcess } from '../../harness/agent.js';
import { consoleErrors, launchBrowser, signIn } from '../../harness/browser.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { GitRepo } from '../../harness/git.js';
import { MooseFs } from '../../harness/moosefs.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';

/**
 * Shared volumes on a real MooseFS: two nodes (two Docker daemons), each with its own mount of the
 * same file system as its shared root, and a third node whose shared root is a plain directory.
 */
describe('shared volumes on MooseFS', () => {
  const pod = `shr-${uniqueSuffix()}`;
  const engines = new Map<string, Docker>();
  const agents: AgentProcess[] = [];
  let mfs: MooseFs;
  let extra: ExtraDaemon;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let rootA: string;
  let rootB: string;
  let plain: string;

  before(async () => {
    dir = await tempDir('eru-shared-');
    mfs = await MooseFs.start(2);
    extra = await ExtraDaemon.start(8);
    rootA = `${mfs.mounts[0]}/eru`;
    rootB = `${mfs.mounts[1]}/eru`;
    plain = `${dir.path}/not-moosefs`;
    mkdirSync(plain);
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 })).status, 201);
    const set = await core.eru(['pod', 'set', pod, '--shared-root', rootA]);
    assert.equal(set.code, 0, set.stderr);
    for (const [name, endpoint] of [['shr-a', dockerEndpoint()], ['shr-b', extra.endpoint], ['shr-c', dockerEndpoint()]] as const) {
      assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name, endpoint, cpus: ['0'], memory: '2GiB' })).status, 201);
      engines.set(name, testDocker(endpoint));
      const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${name}/tokens`)).body.token;
      const agent = new AgentProcess(core.url, name, token, endpoint);
      agent.start();
      agents.push(agent);
    }
    // Node B reaches the same MooseFS through its own mount; node C has a plain directory there.
    assert.equal((await core.eru(['node', 'set', 'shr-b', '--shared-root', rootB])).code, 0);
    assert.equal((await core.eru(['node', 'set', 'shr-c', '--shared-root', plain])).code, 0);
    await eventually(async () => (await core.api<Array<{ liveness: { state: string } }>>('GET', `/v1/pods/${pod}/nodes`)).body.every((n) => n.liveness.state === 'up'), 15_000, 'three agents up');
  });

  after(async () => {
    for (const docker of new Set(engines.values())) {
      await removePodContainers(docker, pod).catch(() => undefined);
      await removeAppImages(docker, 'shrapp').catch(() => undefined);
    }
    await Promise.all(agents.map((a) => a.stop()));
    await core?.stop();
    await extra?.stop();
    await mfs?.stop();
    await dir?.remove();
  });

  async function deploy(app: string, node: string, shared: string[], command: string, extraArgs: string[] = []): Promise<{ code: number; stdout: string; stderr: string; workload?: Workload }> {
    const result = await core.eru([
      '--json', 'deploy', '--pod', pod, '--app', app, '--entry', 'main', '--image', BASE_IMAGE, '--cpu', '0.1', '--memory', '64MiB',
      '--node', node, ...shared.flatMap((s) => ['--shared', s]), ...extraArgs, '--', 'sh', '-c', command,
    ], { timeoutMs: 120_000 });
    const last = result.stdout.trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { type: string; workloads?: Workload[] }).find((e) => e.type === 'result');
    return { ...result, ...(last?.workloads?.[0] ? { workload: last.workloads[0] } : {}) };
  }

  async function exec(workload: string, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return core.eru(['exec', workload, '--', 'sh', '-c', command]);
  }

  async function remove(workload: string): Promise<void> {
    const removed = await core.eru(['rm', workload]);
    assert.equal(removed.code, 0, removed.stderr);
  }

  it('an instance on node A writes a file an instance on node B reads, and it outlives both', async () => {
    const writer = await deploy('shr', 'shr-a', ['data:/data:10MiB'], 'echo hello-from-a > /data/x && sleep 600', ['--user', '10001']);
    assert.equal(writer.code, 0, writer.stderr);
    assert.deepEqual(writer.workload!.sharedDirs, [`${rootA}/shr/data`]);
    const inspected = new RegExp(`shared volumes\\s+data at /data \\(${rootA}/shr/data, quota (\\S+)\\)`).exec((await core.eru(['inspect', writer.workload!.id])).stdout);
    assert.ok(inspected, 'inspect shows the shared volume');
    assert.equal(parseMemory(inspected[1], ['quota']), 10 * 1024 * 1024);
    // Docker on node A really mounts the directory of A's mount at /data.
    const mounts = (await engines.get('shr-a')!.getContainer(writer.workload!.id).inspect()).Mounts;
    assert.deepEqual(mounts.map((m) => [m.Source, m.Destination]), [[`${rootA}/shr/data`, '/data']]);
    // The directory was made on first use, owned by the app's uid; B's mount sees the file A wrote.
    assert.equal(statSync(`${rootB}/shr/data`).uid, 10001);
    await eventually(async () => existsSync(`${rootB}/shr/data/x`), 10_000, 'the file on the other mount');
    assert.equal(readFileSync(`${rootB}/shr/data/x`, 'utf8'), 'hello-from-a\n');

    const reader = await deploy('shr', 'shr-b', ['data:/data'], 'sleep 600');
    assert.equal(reader.code, 0, reader.stderr);
    assert.deepEqual(reader.workload!.sharedDirs, [`${rootB}/shr/data`]);
    const read = await exec(reader.workload!.id, 'cat /data/x');
    assert.equal(read.stdout, 'hello-from-a\n', read.stderr);

    await remove(writer.workload!.id);
    await remove(reader.workload!.id);
    assert.ok(existsSync(`${rootA}/shr/data/x`), 'removing the workloads left the data');
    const again = await deploy('shr', 'shr-b', ['data:/data'], 'sleep 600');
    assert.equal(again.code, 0, again.stderr);
    assert.equal((await exec(again.workload!.id, 'cat /data/x')).stdout, 'hello-from-a\n');
  });

  it("app.yaml volumes, the app's and an entrypoint's, mount into a built version that writes as the app's user", async () => {
    const app = 'shrapp';
    const yaml = `${EXAMPLE_APP_YAML.replace('appname: hello', `appname: ${app}`)}
  writer:
    cmd: sh -c 'id -u > /logs/uid; echo entry > /srv/data/y; sleep 600'
    shared: [{name: data, path: /srv/data}]
shared: [{name: logs, path: /logs, size: 5MiB}]
`;
    const repo = GitRepo.create(`${dir.path}/src`, { 'app.yaml': yaml, 'index.html': 'hi\n' });
    const sha = repo.head().slice(0, 7);
    assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
    const build = await core.eru(['build', app, '--revision', sha, '--pod', pod], { timeoutMs: 300_000 });
    assert.equal(build.code, 0, build.stderr);
    const deployed = await core.eru(['deploy', app, '--version', sha, '--entry', 'writer', '--pod', pod, '--node', 'shr-b', '--cpu', '0.1'], { timeoutMs: 120_000 });
    assert.equal(deployed.code, 0, deployed.stderr);
    // The app's process (uid 10001, not root) wrote into both volumes; node A's mount sees it.
    await eventually(async () => existsSync(`${rootA}/${app}/logs/uid`) && existsSync(`${rootA}/${app}/data/y`), 15_000, 'the files of the built app');
    assert.equal(readFileSync(`${rootA}/${app}/logs/uid`, 'utf8'), '10001\n');
    assert.equal(readFileSync(`${rootA}/${app}/data/y`, 'utf8'), 'entry\n');
    const volumes = JSON.parse((await core.eru(['--json', 'app', 'volumes', app])).stdout) as VolumeView[];
    assert.deepEqual(volumes.map((v) => [v.name, v.size]), [['data', undefined], ['logs', 5 * 1024 * 1024]]);
    for (const user of new Set(volumes.flatMap((v) => v.users))) await remove(user);
  });

  it('a 10 MiB quota stops a 20 MiB write inside the container, and eru app volumes shows the use', async () => {
    const [user] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=shr`)).body;
    assert.ok(user, 'the instance of the test before');
    // The quota is MooseFS's own, on the directory, as its tools report it.
    assert.match(mfs.tool('mfsgetquota', ['-n', `${rootA}/shr/data`]), /length\s*\|\s*\d+\s*\|\s*-\s*\|\s*10485760\s*\|/);
    const small = await exec(user.id, 'dd if=/dev/zero of=/data/small bs=1M count=5 2>&1');
    assert.equal(small.code, 0, small.stdout);
    const big = await exec(user.id, 'dd if=/dev/zero of=/data/big bs=1M count=20 2>&1');
    assert.notEqual(big.code, 0, 'the 20 MiB write failed');
    assert.match(big.stdout + big.stderr, /Disk quota exceeded/);

    const listed = await eventually(async () => {
      const result = await core.eru(['--json', 'app', 'volumes', 'shr']);
      const volumes = JSON.parse(result.stdout) as VolumeView[];
      return volumes[0]?.used !== undefined && volumes[0].used >= 5 * 1024 * 1024 ? volumes : undefined;
    }, 30_000, 'the use in eru app volumes');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.name, 'data');
    assert.equal(listed[0]!.quota, 10 * 1024 * 1024);
    assert.ok(listed[0]!.used! <= 10 * 1024 * 1024, `used ${listed[0]!.used}`);
    assert.deepEqual(listed[0]!.users, [user.id]);
    // The table's figures, read back as numbers, are the listing's (to the one decimal it prints).
    const near = (shown: string, bytes: number, what: string): void => {
      const parsed = parseMemory(shown, [what]);
      assert.ok(Math.abs(parsed - bytes) <= 0.05 * 1024 * 1024, `${what}: ${shown} shown for ${bytes} bytes`);
    };
    const table = await core.eru(['app', 'volumes', 'shr']);
    const row = /^data\s+(\S+)\s+(\S+)\s+1\s+/m.exec(table.stdout);
    assert.ok(row, table.stdout);
    near(row[1]!, listed[0]!.used!, 'used');
    near(row[2]!, 10 * 1024 * 1024, 'quota');
    // The dashboard's app page shows the same.
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors = consoleErrors(page);
      await signIn(page, core.url, TEST_TOKEN);
      await page.goto(`${core.url}/ui/#/apps/shr`);
      await page.waitForSelector('[data-volume="data"]');
      const cells = await page.$$eval('[data-volume="data"] td', (tds) => tds.map((td) => td.textContent ?? ''));
      assert.equal(cells.length, 5, cells.join(' | '));
      assert.deepEqual([cells[0], cells[3], cells[4]], ['data', '1', 'shr-a, shr-b']);
      near(cells[1]!, listed[0]!.used!, 'used on the page');
      near(cells[2]!, 10 * 1024 * 1024, 'quota on the page');
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });

  it('refuses hostile names and paths, and never follows a symlink planted in the shared root', async () => {
    for (const [shared, path] of [
      [{ name: '../etc', path: '/data' }, 'shared.0.name'],
      [{ name: 'a/b', path: '/data' }, 'shared.0.name'],
      [{ name: 'data', path: '/' }, 'shared.0.path'],
      [{ name: 'data', path: '/data/../etc' }, 'shared.0.path'],
    ] as const) {
      const refused = await core.api<{ code: string; path: string }>('POST', '/v1/workloads', { pod, app: 'shr', image: BASE_IMAGE, count: 1, shared: [shared] });
      assert.equal(refused.status, 400, JSON.stringify(refused.body));
      assert.equal(refused.body.path, path);
    }
    const etcBefore = readdirSync('/etc').sort();
    // A link where an app's directory would be, and one where a volume's would be.
    symlinkSync('/etc', `${rootA}/evil`);
    mkdirSync(`${rootA}/evil2`, { recursive: true });
    symlinkSync('/etc', `${rootA}/evil2/data`);
    for (const app of ['evil', 'evil2']) {
      const refused = await deploy(app, 'shr-a', ['data:/data'], 'echo owned > /data/owned; sleep 600');
      assert.notEqual(refused.code, 0, `${app} was refused`);
      assert.match(refused.stderr, /symbolic link/);
      assert.equal((await eruContainers(engines.get('shr-a')!, pod)).filter((c) => c.Labels['eru.app'] === app).length, 0, 'rolled back');
    }
    assert.ok(lstatSync(`${rootA}/evil`).isSymbolicLink() && lstatSync(`${rootA}/evil2/data`).isSymbolicLink(), 'the links were left alone');
    assert.deepEqual(readdirSync('/etc').sort(), etcBefore, 'nothing was written to /etc');
    assert.ok(!existsSync('/etc/data') && !existsSync('/etc/owned'));
    rmSync(`${rootA}/evil`);
    rmSync(`${rootA}/evil2`, { recursive: true });
  });

  it('refuses a deploy onto a node without the MooseFS mount, naming the node, before any container is made', async () => {
    const refused = await deploy('lonely', 'shr-c', ['data:/data'], 'sleep 600');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`shr-c has no MooseFS mount at ${plain}`));
    assert.equal((await eruContainers(engines.get('shr-c')!, pod)).filter((c) => c.Labels['eru.app'] === 'lonely').length, 0);
    assert.equal(readdirSync(plain).length, 0, 'nothing made in the plain directory');
  });

  it('eru app volume rm is refused while a workload uses the volume, then deletes the data', async () => {
    const users = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=shr`)).body;
    const refused = await core.eru(['app', 'volume', 'rm', 'shr', 'data', '--yes']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, new RegExp(`used by ${users[0]!.id}`));
    assert.ok(existsSync(`${rootB}/shr/data/x`));
    for (const user of users) await remove(user.id);
    const removed = await core.eru(['app', 'volume', 'rm', 'shr', 'data', '--yes']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!existsSync(`${rootA}/shr/data`), 'the directory is gone');
    // The other mount may answer from its attribute cache for a moment.
    await eventually(async () => !existsSync(`${rootB}/shr/data`), 5_000, 'the directory to be gone from the other mount too');
    assert.deepEqual(JSON.parse((await core.eru(['--json', 'app', 'volumes', 'shr'])).stdout), []);
  });
});
