import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Workload } from '../../src/model/workload.js';
import type { PodMap } from '../../src/contract/map.js';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, execIn, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

interface NodeView {
  cpuMap: Array<{ core: string; free: number; used: number }>;
  resources: { memoryFree: number; unboundCpu: number };
}

describe('deploy on real Docker: a pod with sharebase 10 and a two-core node', () => {
  const docker = testDocker();
  const pod = `dep-${uniqueSuffix()}`;
  const node = `local-${uniqueSuffix()}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    dir = await tempDir('eru-deploy-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    assert.equal((await core.eru(['pod', 'add', pod, '--sharebase', '10'])).code, 0);
    const added = await core.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--cpus', '0,1', '--memory', '2GiB']);
    assert.equal(added.code, 0, added.stderr);
  });
  after(async () => {
    await removePodContainers(docker, pod);
    await core?.stop();
    await dir?.remove();
  });

  const deploy = (args: string[]) =>
    core.eru(['deploy', '--pod', pod, '--app', 'svc', '--image', BASE_IMAGE, ...args, '--', 'sleep', '600']);
  const nodeView = async (): Promise<NodeView> => (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body;
  const hostConfig = async (name: string) => (await docker.getContainer(name).inspect()).HostConfig;
  const workloadsOf = async (entry: string): Promise<Workload[]> =>
    (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&entry=${entry}`)).body;

  it('two 0.5-CPU bound workloads share one core with CpuShares 512 and a half-core quota each', async () => {
    const result = await deploy(['--entry', 'half', '--count', '2', '--cpu', '0.5', '--memory', '64MiB']);
    assert.equal(result.code, 0, result.stderr);
    const halves = await workloadsOf('half');
    assert.equal(halves.length, 2);
    const cores = new Set<string>();
    for (const w of halves) {
      const config = await hostConfig(w.id);
      cores.add(config.CpusetCpus!);
      assert.equal(config.CpuShares, 512);
      assert.equal(config.CpuQuota, 50_000);
      assert.equal(config.CpuPeriod, 100_000);
      assert.equal(config.Memory, 64 * 1024 * 1024);
    }
    assert.equal(cores.size, 1, 'both on the same core');
    const shared = [...cores][0]!;
    assert.equal((await nodeView()).cpuMap.find((c) => c.core === shared)!.free, 0);
  });

  it('a 1.0-CPU bound workload gets the other core alone with 1024 shares and no quota', async () => {
    const result = await deploy(['--entry', 'whole', '--cpu', '1']);
    assert.equal(result.code, 0, result.stderr);
    const [whole] = await workloadsOf('whole');
    const halves = await workloadsOf('half');
    const config = await hostConfig(whole!.id);
    assert.notEqual(config.CpusetCpus, halves[0]!.cpuSettings.cpusetCpus);
    assert.equal(config.CpuShares, 1024);
    assert.equal(config.CpuQuota, 0);
  });

  it('the next deploy fails with the capacity message and creates no container', async () => {
    const before = (await eruContainers(docker, pod)).length;
    const result = await deploy(['--entry', 'more', '--cpu', '0.1']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`pod ${pod} can place 0 more of cpu=0\\.1 bound; 1 asked`));
    assert.equal((await eruContainers(docker, pod)).length, before);
    assert.deepEqual((await nodeView()).cpuMap.map((c) => c.free), [0, 0]);
  });

  it('removing one frees exactly its pieces, seen in node show and in Docker', async () => {
    const [gone, stays] = await workloadsOf('half');
    // A prefix of a name is not enough; a container id prefix is, and the CLI says what matched.
    const prefix = await core.eru(['rm', gone!.id.slice(0, gone!.id.length - 2)]);
    assert.equal(prefix.code, 1);
    assert.match(prefix.stderr, /not found \(give its full name, or its container id or a prefix of it\)/);
    const result = await core.eru(['rm', gone!.containerId!.slice(0, 12)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`removed ${gone!.id} .*\\(matched by container id ${gone!.containerId!.slice(0, 12)}\\)`));
    const map = (await nodeView()).cpuMap;
    assert.equal(map.find((c) => c.core === stays!.cpuSettings.cpusetCpus)!.free, 5);
    await assert.rejects(docker.getContainer(gone!.id).inspect(), /no such container/i);
    const show = await core.eru(['node', 'show', node]);
    assert.match(show.stdout, new RegExp(`^${stays!.cpuSettings.cpusetCpus}\\s+5\\s+5\\s+partial`, 'm'));
    // And the freed half can be taken again.
    assert.equal((await deploy(['--entry', 'half', '--cpu', '0.5'])).code, 0);
  });

  it('an unbound workload runs on the shared pool under a quota, and follows when pins change', async () => {
    for (const w of await workloadsOf('whole')) assert.equal((await core.eru(['rm', w.id])).code, 0);
    // Half of one core is taken; the other core is whole: 1.5 CPU free.
    assert.equal((await core.eru(['rm', (await workloadsOf('half'))[0]!.id])).code, 0);
    const result = await deploy(['--entry', 'loose', '--no-bind', '--cpu', '0.3']);
    assert.equal(result.code, 0, result.stderr);
    const [loose] = await workloadsOf('loose');
    const halfCore = (await workloadsOf('half'))[0]!.cpuSettings.cpusetCpus;
    assert.equal((await hostConfig(loose!.id)).CpusetCpus, '0,1', 'no core is pinned whole: the pool is every core');
    assert.equal((await hostConfig(loose!.id)).CpuQuota, 30_000);
    const pinned = await deploy(['--entry', 'whole', '--cpu', '1']);
    assert.equal(pinned.code, 0, pinned.stderr);
    const [whole] = await workloadsOf('whole');
    assert.notEqual(whole!.cpuSettings.cpusetCpus, halfCore);
    assert.equal((await hostConfig(loose!.id)).CpusetCpus, halfCore, 'the pool shrank to the core nobody holds whole');
    for (const w of [...(await workloadsOf('whole')), ...(await workloadsOf('loose'))]) assert.equal((await core.eru(['rm', w.id])).code, 0);
    assert.equal((await hostConfig((await workloadsOf('half'))[0]!.id)).CpusetCpus, halfCore);
  });

  it('a failure part-way removes what the deploy made and releases its reservation', async () => {
    const before = await nodeView();
    const containersBefore = (await eruContainers(docker, pod)).length;
    const result = await core.eru(['deploy', '--pod', pod, '--app', 'svc', '--entry', 'broken', '--image', 'local/missing:1', '--cpu', '0.2', '--', 'true']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /deploy failed and was rolled back: svc_broken_\w{6} on .*: .*(No such image|not found)/i);
    assert.deepEqual(await nodeView(), before);
    assert.equal((await eruContainers(docker, pod)).length, containersBefore);
    assert.equal((await core.api<unknown[]>('GET', `/v1/workloads?entry=broken`)).body.length, 0);
  });

  it('publishes ports on 127.0.0.1 unless a host address is given, and labels containers as Eru’s', async () => {
    const port = await freePort();
    const result = await core.eru([
      'deploy', '--pod', pod, '--app', 'svc', '--entry', 'web', '--image', BASE_IMAGE, '--cpu', '0.1',
      '--publish', `${port}:8080`, '--env', 'GREETING=hello world', '--',
      'sh', '-c', 'mkdir -p /www && echo "$GREETING from $ERU_APP/$ERU_ENTRY" > /www/index.html && exec httpd -f -p 8080 -h /www',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [web] = await workloadsOf('web');
    const info = await docker.getContainer(web!.id).inspect();
    assert.deepEqual(info.HostConfig.PortBindings['8080/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }]);
    assert.equal(info.Config.Labels['eru.app'], 'svc');
    assert.equal(info.Config.Labels['eru.node'], node);
    assert.equal(info.Config.Labels['eru.workload'], web!.id);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => '');
      if (!body) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(body.trim(), 'hello world from svc/web');
    assert.equal((await core.eru(['rm', web!.id])).code, 0);
  });

  it('eru run returns the job’s exit code and output, and leaves nothing behind', async () => {
    const before = await nodeView();
    const result = await core.eru(['run', '--pod', pod, '--image', BASE_IMAGE, '--cpu', '0.2', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(result.code, 7, result.stderr);
    assert.equal(result.stdout, 'out\n');
    assert.match(result.stderr, /^err$/m);
    assert.deepEqual(await nodeView(), before);
    assert.equal((await eruContainers(docker, pod)).filter((c) => c.Labels['eru.app'] === 'job').length, 0);
    const ok = await core.eru(['run', '--pod', pod, '--image', BASE_IMAGE, '--', 'true']);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a running job is listed (KIND job) and drawn on the pod map with its pieces; the map\'s free pieces are what capacity places; gone after', async () => {
    const mapOf = async (): Promise<PodMap> => (await core.api<PodMap>('GET', `/v1/pods/${pod}/map`)).body;
    const capacityFor = async (cpu: number): Promise<number> => (await core.api<{ total: number }>('POST', `/v1/pods/${pod}/capacity`, { cpu })).body.total;
    const before = await mapOf();
    assert.equal(Math.round(before.free.cpu * 10), await capacityFor(0.1), 'free pieces = what capacity places, before');
    // The job runs until the test says it may end.
    const job = core.eruRunning(['run', '--pod', pod, '--image', BASE_IMAGE, '--cpu', '0.3', '--', 'sh', '-c', 'echo waiting; while [ ! -e /tmp/end ]; do sleep 0.2; done']);
    const ended = new Promise<number | null>((resolve) => job.on('close', resolve));
    try {
      const listed = await eventually(async () => {
        const jobs = JSON.parse((await core.eru(['--json', 'ps', '--pod', pod, '--jobs'])).stdout) as Array<Workload & { kind: string; state: string }>;
        return jobs.length === 1 && jobs[0]!.state === 'running' ? jobs[0]! : undefined;
      }, 20_000, 'the job in eru ps --jobs');
      assert.equal(listed.kind, 'job');
      assert.equal(Object.values(listed.placement.cpuset ?? {}).reduce((a, b) => a + b, 0), 3);
      const table = await core.eru(['ps', '--pod', pod]);
      assert.match(table.stdout, new RegExp(`^${listed.id}\\s+${node}\\s+job\\s+running\\s`, 'm'));
      assert.equal(JSON.parse((await core.eru(['--json', 'ps', '--pod', pod, '--kind', 'service'])).stdout).some((w: Workload) => w.id === listed.id), false);
      const during = await mapOf();
      const [core0] = Object.entries(listed.placement.cpuset!)[0]!;
      const cell = during.nodes[0]!.cores.find((c) => c.core === core0)!;
      assert.ok(cell.holders.some(([id, pieces]) => id === listed.id && pieces === 3), JSON.stringify(cell));
      assert.deepEqual(
        during.workloads.filter((w) => w.id === listed.id).map((w) => [w.kind, w.state]),
        [['job', 'running']],
      );
      assert.equal(Math.round(during.free.cpu * 10), Math.round(before.free.cpu * 10) - 3);
      assert.equal(Math.round(during.free.cpu * 10), await capacityFor(0.1), 'free pieces = what capacity places, while the job runs');
      await execIn(docker, listed.id, ['touch', '/tmp/end']);
      assert.equal(await ended, 0);
      assert.deepEqual(JSON.parse((await core.eru(['--json', 'ps', '--pod', pod, '--jobs'])).stdout), []);
      const after = await mapOf();
      assert.ok(!after.nodes[0]!.cores.some((c) => c.holders.some(([id]) => id === listed.id)), 'the job is gone from the map');
      assert.deepEqual(after.free, before.free);
    } finally {
      job.kill('SIGKILL');
    }
  });

  it('controls, inspects, and shows logs of a workload', async () => {
    const result = await core.eru([
      'deploy', '--pod', pod, '--app', 'svc', '--entry', 'talker', '--image', BASE_IMAGE, '--cpu', '0.1', '--',
      'sh', '-c', 'for i in 1 2 3 4 5; do echo line $i; done; exec sleep 600',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const [talker] = await workloadsOf('talker');
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('line 5'); i++) {
      logs = (await core.eru(['logs', talker!.id, '--tail', '2'])).stdout;
      if (!logs.includes('line 5')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(logs, 'line 4\nline 5\n');
    const inspect = JSON.parse((await core.eru(['inspect', talker!.id, '--json'])).stdout) as { container: { running: boolean; cpusetCpus: string } };
    assert.equal(inspect.container.running, true);
    assert.equal(inspect.container.cpusetCpus, talker!.cpuSettings.cpusetCpus);
    assert.equal((await core.eru(['restart', talker!.id, '--time', '1'])).code, 0);
    const ps = await core.eru(['ps', '--pod', pod, '--entry', 'talker']);
    assert.match(ps.stdout, new RegExp(talker!.id));
    assert.equal((await core.eru(['rm', 'nope-not-there'])).code, 1);
    // A prefix of a name is not a workload: nothing is removed because it happens to match one.
    const prefix = await core.eru(['rm', 'svc_']);
    assert.equal(prefix.code, 1);
    assert.match(prefix.stderr, /workload svc_ not found \(give its full name, or its container id or a prefix of it\)/);
    assert.equal((await workloadsOf('talker')).length, 1);
  });
});
