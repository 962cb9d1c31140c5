import assert from 'node:assert/strict';
import { parseMemory } from '../../src/lib/units.js';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Endpoint } from '../../src/contract/networks.js';
import type { WorkloadListItem } from '../../src/contract/workloads.js';
import type { Intent } from '../../src/model/intent.js';
import type { NodeResources } from '../../src/model/resources.js';
import { runsName, type Rollout } from '../../src/model/rollout.js';
import type { Workload } from '../../src/model/workload.js';
import { Repositories } from '../../src/core/repositories.js';
import { openStore } from '../../src/store/index.js';
import { AgentProcess } from '../../harness/agent.js';
import { ERU_BIN } from '../../harness/cli.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, execIn, removeAppImages, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { L2Switch } from '../../harness/l2.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';
import { EXAMPLE_APP_YAML } from '../support/example-app.js';
import { GitRepo } from '../../harness/git.js';
import { checkLedgers } from '../support/invariants.js';

interface NodeView {
  cpuMap: Array<{ core: string; free: number; fragments: number; state: string }>;
  resources: { memoryFree: number };
}

/** The example app with a health check on its page, served by busybox httpd. */
const app = `life${uniqueSuffix().slice(-5).replace(/[^a-z0-9]/g, 'q')}`;
const APP_YAML = EXAMPLE_APP_YAML.replace('appname: hello', `appname: ${app}`).replace('healthcheck: {http: {port: 8080, url: /index.html, code: 200}}', 'healthcheck: {http: {port: 8080, url: /index.html, code: 200}}\n    restart: "no"').replace('    restart: always\n', '');

describe('a service\'s life: scale, rolling replace, realloc, exec, cp, hooks, startup boost, apply', () => {
  const tag = uniqueSuffix().slice(-4).replace(/[^a-z0-9]/g, 'w');
  const l2 = L2Switch.create(tag);
  const pod = `life-${uniqueSuffix()}`;
  const network = `lifenet-${tag}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let repo: GitRepo;
  let extra: ExtraDaemon;
  const agents: AgentProcess[] = [];
  const dockers = new Map<string, Docker>();
  const versions: Record<'v1' | 'v2' | 'bad' | 'crash', string> = { v1: '', v2: '', bad: '', crash: '' };

  before(async () => {
    dir = await tempDir('eru-life-');
    extra = await ExtraDaemon.start(7);
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--copy-limit', '2MiB']);
    assert.equal((await core.eru(['pod', 'add', pod, '--sharebase', '10'])).code, 0);
    for (const [name, endpoint, host] of [['a', dockerEndpoint(), 1], ['b', extra.endpoint, 2]] as const) {
      const added = await core.eru(['node', 'add', pod, `${name}-${tag}`, '--endpoint', endpoint, '--macvlan-parent', l2.plug(host)]);
      assert.equal(added.code, 0, added.stderr);
      dockers.set(`${name}-${tag}`, name === 'a' ? testDocker() : extra.docker);
      const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${name}-${tag}/tokens`)).body.token;
      const agent = new AgentProcess(core.url, `${name}-${tag}`, token, endpoint);
      agent.start();
      agents.push(agent);
    }
    assert.equal((await core.eru(['network', 'add', network, '--subnet', '10.238.0.0/24', '--pod', pod])).code, 0);
    repo = GitRepo.create(join(dir.path, app), { 'app.yaml': APP_YAML, 'index.html': 'version one\n' });
    versions.v1 = repo.head();
    repo.commit({ 'index.html': 'version two\n' });
    versions.v2 = repo.head();
    repo.commit({ 'app.yaml': APP_YAML.replace('url: /index.html', 'url: /never-there.html') });
    versions.bad = repo.head();
    // Serves, turns healthy, and exits after 20 s (restart "no": Docker leaves it stopped).
    repo.commit({ 'app.yaml': APP_YAML.replace('cmd: httpd -f -p 8080 -h /www', "cmd: sh -c 'timeout 20 httpd -f -p 8080 -h /www; exit 3'") });
    versions.crash = repo.head();
    for (const sha of [versions.v1, versions.v2, versions.bad, versions.crash]) {
      repo.git('checkout', '-q', sha);
      assert.equal((await core.eru(['app', 'register', '--dir', repo.path])).code, 0);
      const built = await core.eru(['build', app, '--revision', sha, '--pod', pod], { timeoutMs: 180_000 });
      assert.equal(built.code, 0, built.stderr);
    }
  });
  after(async () => {
    for (const agent of agents) await agent.stop();
    for (const docker of dockers.values()) {
      await removePodContainers(docker, pod);
      await docker.getNetwork(network).remove().catch(() => undefined);
      await removeAppImages(docker, app);
    }
    await extra?.stop();
    l2.remove();
    await core?.stop();
    await dir?.remove();
  });

  const list = async (query: string): Promise<WorkloadListItem[]> => (await core.api<WorkloadListItem[]>('GET', `/v1/workloads?pod=${pod}${query}`)).body;
  const dockerOf = (w: Workload): Docker => dockers.get(w.node)!;

  /** The ledger invariant, read through the API: every node's cores and fragments are what its workloads hold. */
  async function ledgersAgree(): Promise<void> {
    const workloads = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;
    for (const node of dockers.keys()) {
      const view = (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body;
      const ledger: NodeResources = {
        cpus: Object.fromEntries(view.cpuMap.filter((c) => c.state !== 'reserved').map((c) => [c.core, c.free])),
        shared: Object.fromEntries(view.cpuMap.filter((c) => c.fragments > 0).map((c) => [c.core, c.fragments])),
        unboundPieces: 0,
        memory: null,
        memoryTotal: null,
      };
      checkLedgers(10, new Map([[node, ledger]]), workloads, []);
    }
  }

  // On empty nodes first: these two need whole cores of a 2-core machine.
  /**
   * Four clients at once while `action` runs, each following the healthy endpoints as a load balancer
   * would: it asks for them, then makes five requests (one `docker exec` in the reader running five
   * wgets, each printing its outcome). Bounded: 1000 rounds each at most, and stopped 1.5 s after the action.
   */
  async function underLoad(endpoints: () => Promise<Endpoint[]>, readerId: string, action: () => Promise<void>): Promise<Array<{ requests: number; failed: string[]; pages: Set<string> }>> {
    let stop = false;
    const seen = Array.from({ length: 4 }, () => ({ requests: 0, failed: [] as string[], pages: new Set<string>() }));
    const loadClient = async (n: number): Promise<void> => {
      const mine = seen[n]!;
      for (let round = 0; !stop && round < 1000; round++) {
        const healthy = await endpoints();
        if (healthy.length === 0) {
          mine.failed.push('no healthy endpoint');
          continue;
        }
        const targets = Array.from({ length: 5 }, (_, i) => healthy[(round * 5 + i + n) % healthy.length]!);
        const script = targets.map((t) => `if p=$(timeout 5 wget -q -O - http://${t.address}:8080/index.html); then echo "ok $p"; else echo "failed ${t.workload} ${t.address}: exit $?"; fi`).join('; ');
        const got = await execIn(testDocker(), readerId, ['sh', '-c', script]);
        for (const line of got.output.trim().split('\n')) {
          mine.requests++;
          if (line.startsWith('ok ')) mine.pages.add(line.slice(3));
          else mine.failed.push(line);
        }
      }
    };
    const clients = Array.from({ length: seen.length }, (_, n) => loadClient(n));
    try {
      await action();
      await new Promise((r) => setTimeout(r, 1500));
    } finally {
      stop = true;
      await Promise.all(clients);
    }
    return seen;
  }

  it('resizes a busy workload 1.3 → 1.9 → 0.4 in place: cgroups and ledger agree each time; the process never restarts', async () => {
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'busy', '--node', `a-${tag}`, '--image', BASE_IMAGE, '--cpu', '1.3', '--', 'sh', '-c', 'while :; do :; done']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [busy] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=busy`)).body;
    const first = (await testDocker().getContainer(busy!.id).inspect()).State;
    for (const cpu of ['1.9', '0.4']) {
      const resized = await core.eru(['realloc', busy!.id, '--cpu', cpu]);
      assert.equal(resized.code, 0, resized.stderr);
      const record = (await core.api<{ workload: Workload }>('GET', `/v1/workloads/${busy!.id}`)).body.workload;
      const info = await testDocker().getContainer(busy!.id).inspect();
      assert.equal(record.cpu, Number(cpu));
      assert.deepEqual([info.HostConfig.CpusetCpus, info.HostConfig.CpuShares, info.HostConfig.CpuQuota], [record.cpuSettings.cpusetCpus, record.cpuSettings.cpuShares, record.cpuSettings.cpuQuota]);
      // The cgroup itself (cgroup v1, cgroupfs): what the kernel enforces.
      assert.equal(readFileSync(`/sys/fs/cgroup/cpuset/docker/${info.Id}/cpuset.cpus`, 'utf8').trim(), record.cpuSettings.cpusetCpus.includes(',') ? record.cpuSettings.cpusetCpus.replace(/^(\d+),(\d+)$/, (m, x, y) => (Number(y) === Number(x) + 1 ? `${x}-${y}` : m)) : record.cpuSettings.cpusetCpus);
      assert.equal(Number(readFileSync(`/sys/fs/cgroup/cpu/docker/${info.Id}/cpu.cfs_quota_us`, 'utf8')), record.cpuSettings.cpuQuota);
      assert.deepEqual([info.State.Pid, info.State.StartedAt], [first.Pid, first.StartedAt], 'the same process');
      await ledgersAgree();
    }
    const tooBig = await core.eru(['realloc', busy!.id, '--cpu', '2.5']);
    assert.equal(tooBig.code, 2);
    assert.match(tooBig.stderr, /cannot hold cpu=2\.5 .* in place/);
    assert.equal((await core.eru(['rm', busy!.id])).code, 0);
  });

  it('reserved cores are never scheduled on, and come back when released', async () => {
    const node = `b-${tag}`;
    const busy = (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.cpuMap.filter((c) => c.free < 10).map((c) => c.core);
    const reserve = busy.includes('0') ? '1' : '0';
    if (busy.includes(reserve)) return assert.fail(`both cores of ${node} are in use: ${busy.join(',')}`);
    const set = await core.eru(['node', 'set', node, '--reserve-cpus', reserve]);
    assert.equal(set.code, 0, set.stderr);
    assert.match((await core.eru(['node', 'show', node])).stdout, new RegExp(`^${reserve}\\s+0\\s+0\\s+reserved`, 'm'));
    const deployed = await core.client.deploy({ pod, app: 'rsv', image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.5, count: 2, nodes: [node] });
    assert.ok(deployed.ok);
    for (const w of deployed.workloads) assert.ok(!Object.keys(w.placement.cpuset ?? {}).includes(reserve), `placed on reserved core ${reserve}`);
    const inUse = await core.eru(['node', 'set', node, '--reserve-cpus', `${reserve},${reserve === '0' ? '1' : '0'}`]);
    assert.equal(inUse.code, 1, 'a core in use cannot be reserved');
    for (const w of deployed.workloads) assert.equal((await core.eru(['rm', w.id])).code, 0);
    assert.equal((await core.eru(['node', 'set', node, '--reserve-cpus', ''])).code, 0);
    assert.equal((await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.cpuMap.find((c) => c.core === reserve)!.state, 'free');
  });

  it('scales 2 → 7 → 3 with the spec the instances have, keeping the spread even and the ledger exact', async () => {
    const deployed = await core.eru(['deploy', app, '--version', versions.v1, '--entry', 'worker', '--pod', pod, '--count', '2', '--cpu', '0.2', '--memory', '32MiB', '--env', 'MODE=first']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const spread = async (): Promise<number[]> => {
      const workers = await list('&entry=worker');
      return [...dockers.keys()].map((node) => workers.filter((w) => w.node === node).length);
    };
    for (const [count, expected] of [[7, [4, 3]], [3, [2, 1]]] as const) {
      const scaled = await core.eru(['scale', app, '--entry', 'worker', '--count', String(count)]);
      assert.equal(scaled.code, 0, scaled.stderr);
      const counts = await spread();
      assert.equal(counts[0]! + counts[1]!, count);
      assert.ok(Math.abs(counts[0]! - counts[1]!) <= 1, `uneven: ${counts.join(' / ')} (wanted about ${expected.join(' / ')})`);
      await ledgersAgree();
    }
    // Every instance, the added ones too, runs what the first deploy asked for.
    for (const w of await list('&entry=worker')) {
      assert.equal(w.image, `${app}:${versions.v1}`);
      assert.deepEqual([w.cpu, w.placement.memory, w.env.MODE], [0.2, 32 * 1024 * 1024, 'first']);
    }
    const negative = await core.api<{ code: string; path: string }>('PUT', `/v1/apps/${app}/entries/worker/scale`, { count: -1 });
    assert.deepEqual([negative.status, negative.body.path], [400, 'count']);
    const never = await core.api<{ code: string }>('PUT', `/v1/apps/${app}/entries/nothing/scale`, { count: 2 });
    assert.equal(never.status, 409);
  });

  it('replaces 6 web instances to a new version while 4 clients through the endpoints (100+ requests each) see no failed request', async () => {
    const deployed = await core.eru(['deploy', app, '--version', versions.v1, '--entry', 'web', '--pod', pod, '--count', '6', '--cpu', '0.1', '--network', network]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const readerDeployed = await core.eru(['deploy', '--pod', pod, '--app', 'lifeclient', '--image', BASE_IMAGE, '--node', `a-${tag}`, '--cpu', '0.1', '--network', network, '--', 'sleep', '3600']);
    assert.equal(readerDeployed.code, 0, readerDeployed.stderr);
    const [reader] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=lifeclient`)).body;
    const healthyEndpoints = async (): Promise<Endpoint[]> => (await core.api<Endpoint[]>('GET', `/v1/apps/${app}/endpoints?entry=web&healthy=true`)).body;
    await eventually(async () => (await healthyEndpoints()).length === 6, 30_000, 'six healthy endpoints');

    let replaced!: Awaited<ReturnType<typeof core.eru>>;
    const seen = await underLoad(healthyEndpoints, reader!.id, async () => {
      replaced = await core.eru(['replace', app, '--entry', 'web', '--version', versions.v2, '--max-unavailable', '0', '--max-surge', '1'], { timeoutMs: 300_000 });
    });
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.match(replaced.stderr, /6 instance\(s\) now run/);
    const failed = seen.flatMap((s) => s.failed);
    console.log(`during the replace: ${seen.length} clients, ${seen.map((s) => s.requests).join(' + ')} requests, ${failed.length} failed`);
    assert.deepEqual(failed, [], 'no request failed');
    for (const [n, s] of seen.entries()) {
      assert.ok(s.requests >= 100, `client ${n} made only ${s.requests} requests`);
      assert.deepEqual([...s.pages].sort(), ['version one', 'version two'], `client ${n} saw both versions`);
    }
    const web = await list('&entry=web');
    assert.equal(web.length, 6);
    for (const w of web) assert.equal(w.image, `${app}:${versions.v2}`);
    await ledgersAgree();
  });

  it('a version whose health check never passes: the rollout stops at the first batch and every instance is back, serving', async () => {
    const before = (await list('&entry=web')).map((w) => w.id).sort();
    const failed = await core.eru(['replace', app, '--entry', 'web', '--version', versions.bad, '--healthy-deadline', '10s'], { timeoutMs: 120_000 });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /replace failed and was rolled back: .* did not turn healthy within 10 s .*; every instance runs .* again/);
    const web = await list('&entry=web');
    assert.deepEqual(web.map((w) => w.id).sort(), before, 'the same six instances, none replaced');
    for (const w of web) assert.equal(w.image, `${app}:${versions.v2}`);
    const [reader] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=lifeclient`)).body;
    const served = await execIn(testDocker(), reader!.id, ['timeout', '5', 'wget', '-q', '-O', '-', `http://${web[0]!.addresses[0]!.address}:8080/index.html`]);
    assert.equal(served.output.trim(), 'version two');
    const services = (await core.api<Array<{ app: string; entry: string; version?: string }>>('GET', '/v1/services')).body;
    assert.match(services.find((s) => s.app === app && s.entry === 'web')!.version!, new RegExp(`^${versions.v2}`));
    assert.deepEqual((await core.api<Intent[]>('GET', '/v1/intents')).body, []);
  });

  it('rollouts are numbered with how each ended; undo rolls back to what ran before the last one that ended done', async () => {
    const short = (sha: string): string => sha.slice(0, 7);
    const listed = async (): Promise<Rollout[]> => JSON.parse((await core.eru(['--json', 'rollout', 'ls', app, '--entry', 'web'])).stdout) as Rollout[];
    const before = await listed();
    assert.deepEqual(
      before.map((r) => [r.number, runsName(r.from), runsName(r.to), r.outcome]),
      [
        [1, short(versions.v1), short(versions.v2), 'done'],
        [2, short(versions.v2), short(versions.bad), 'rolled back'],
      ],
    );
    assert.match((await core.eru(['rollout', 'ls', app, '--entry', 'web'])).stdout, new RegExp(`^2\\s+${short(versions.v2)}\\s+${short(versions.bad)}\\s+rolled back`, 'm'));
    assert.match((await core.eru(['rollout', 'show', app, '2', '--entry', 'web'])).stdout, /why\s+replace failed and was rolled back/);
    const undo = await core.eru(['rollout', 'undo', app, '--entry', 'web'], { timeoutMs: 300_000 });
    assert.equal(undo.code, 0, undo.stderr);
    assert.match(undo.stderr, new RegExp(`rollout 3 of ${app}/web: ${short(versions.v2)} → ${short(versions.v1)}`));
    const web = await list('&entry=web');
    assert.equal(web.length, 6);
    for (const w of web) assert.equal(w.image, `${app}:${versions.v1}`, 'back on the version before the last rollout that ended done');
    assert.deepEqual((await listed()).map((r) => [r.number, r.outcome]).at(-1), [3, 'done']);
    const none = await core.eru(['rollout', 'undo', app, '--entry', 'web', '--to', '9']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no rollout 9 \(there are 3\)/);
  });

  it('canaries: one that exits after 20 s is aborted by its own comparison, all 6 back; a good one promotes itself; one an operator pauses, promotes and resumes', async () => {
    const short = (sha: string): string => sha.slice(0, 7);
    const images = async (): Promise<string[]> => (await list('&entry=web')).map((w) => w.image).sort();
    const lastRollout = async (): Promise<Rollout> => (await core.api<Rollout[]>('GET', `/v1/apps/${app}/entries/web/rollouts`)).body.at(-1)!;
    assert.deepEqual(await images(), Array(6).fill(`${app}:${versions.v1}`), 'six on v1 to begin with');

    const crashed = await core.eru(['replace', app, '--entry', 'web', '--version', versions.crash, '--canary', '1', '--canary-auto', '30s'], { timeoutMs: 180_000 });
    assert.equal(crashed.code, 1, crashed.stdout);
    assert.match(crashed.stderr, /canary: 1 new instance\(s\) healthy; comparing them with the 5 old for 30 s/);
    assert.match(crashed.stderr, /replace rolled back: canary aborted by itself: 1 of 1 new instance\(s\) stopped \(exit 3\), 0 of 5 old; every instance runs/);
    assert.deepEqual(await images(), Array(6).fill(`${app}:${versions.v1}`), 'all six on the old version again');
    const aborted = await lastRollout();
    assert.deepEqual([runsName(aborted.to), aborted.outcome, aborted.canary?.phase], [short(versions.crash), 'aborted', 'waiting']);
    await ledgersAgree();

    const good = await core.eru(['replace', app, '--entry', 'web', '--version', versions.v2, '--canary', '1', '--canary-auto', '30s'], { timeoutMs: 300_000 });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stderr, /canary promoted by itself: over the window the new instances did no worse than the old: restarts 0 vs 0, none stopped/);
    console.log(/canary promoted by itself: .*$/m.exec(good.stderr)![0]);
    assert.deepEqual(await images(), Array(6).fill(`${app}:${versions.v2}`), 'promoted, and all six replaced');
    assert.deepEqual([(await lastRollout()).outcome, (await lastRollout()).canary?.phase], ['done', 'promoted']);

    // An operator's canary: the command returns once 2 are healthy; pause, promote, and nothing moves until resume.
    const manual = await core.eru(['replace', app, '--entry', 'web', '--version', versions.v1, '--canary', '2'], { timeoutMs: 180_000 });
    assert.equal(manual.code, 0, manual.stderr);
    assert.match(manual.stderr, new RegExp(`canary: 2 new instance\\(s\\) healthy; waiting for \`eru rollout promote ${app} --entry web\``));
    const count = async (image: string): Promise<number> => (await images()).filter((i) => i === `${app}:${image}`).length;
    assert.deepEqual([await count(versions.v1), await count(versions.v2)], [2, 4]);
    assert.match((await core.eru(['rollout', 'ls', app, '--entry', 'web'])).stdout, /running \(canary waiting\)/);
    assert.equal((await core.eru(['rollout', 'pause', app, '--entry', 'web'])).code, 0);
    const promoted = await core.eru(['rollout', 'promote', app, '--entry', 'web']);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stdout, /running \(paused\), promoted/);
    await new Promise((r) => setTimeout(r, 4000));
    assert.deepEqual([await count(versions.v1), await count(versions.v2)], [2, 4], 'paused: promoted, yet no further batch');
    const again = await core.eru(['rollout', 'pause', app, '--entry', 'web']);
    assert.deepEqual([again.code, /is paused already/.test(again.stderr)], [1, true]);
    assert.equal((await core.eru(['rollout', 'resume', app, '--entry', 'web'])).code, 0);
    await eventually(async () => (await lastRollout()).outcome === 'done', 120_000, 'the resumed rollout finishes');
    assert.deepEqual(await images(), Array(6).fill(`${app}:${versions.v1}`));
    const late = await core.eru(['rollout', 'promote', app, '--entry', 'web']);
    assert.deepEqual([late.code, /has no rollout under way: nothing to promote/.test(late.stderr)], [1, true]);
    await ledgersAgree();
  });

  it('node drain under load: 4 instances move off a node while 4 clients see no failed request; the node is empty, the service at its count', async (t) => {
    const drained = `b-${tag}`;
    // Whatever happens below, the node takes work again and web is back at 6 for the tests after.
    t.after(async () => {
      await core.eru(['node', 'undrain', drained]);
      await core.eru(['scale', app, '--entry', 'web', '--count', '6']);
    });
    const scaled = await core.eru(['scale', app, '--entry', 'web', '--count', '8']);
    assert.equal(scaled.code, 0, scaled.stderr);
    const onDrained = (await list('&entry=web')).filter((w) => w.node === drained);
    assert.equal(onDrained.length, 4, 'four instances on the node to drain');
    const [reader] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=lifeclient`)).body;
    const healthyEndpoints = async (): Promise<Endpoint[]> => (await core.api<Endpoint[]>('GET', `/v1/apps/${app}/endpoints?entry=web&healthy=true`)).body;
    await eventually(async () => (await healthyEndpoints()).length === 8, 30_000, 'eight healthy endpoints');
    let drain!: Awaited<ReturnType<typeof core.eru>>;
    const seen = await underLoad(healthyEndpoints, reader!.id, async () => {
      drain = await core.eru(['node', 'drain', drained, '--deadline', '5m'], { timeoutMs: 300_000 });
    });
    assert.equal(drain.code, 0, drain.stderr);
    // The web instances, and whatever else of a kept service ran there (the workers).
    const everything = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;
    const moved = [...drain.stderr.matchAll(/^moved (\S+) → (\S+) on (\S+)$/gm)];
    assert.ok(moved.length >= 4, drain.stderr);
    for (const w of onDrained) assert.ok(moved.some((m) => m[1] === w.id), `${w.id} moved`);
    for (const [, , to, on] of moved) assert.equal(everything.find((w) => w.id === to)?.node, on, `${to} runs where the drain said`);
    assert.match(drain.stdout, new RegExp(`${drained}: ${moved.length} instance\\(s\\) moved; nothing left on it`));
    assert.deepEqual(everything.filter((w) => w.node === drained).map((w) => w.id), [], 'nothing of any service left on the node');
    const failed = seen.flatMap((s) => s.failed);
    console.log(`during the drain: ${seen.length} clients, ${seen.map((s) => s.requests).join(' + ')} requests, ${failed.length} failed`);
    assert.deepEqual(failed, [], 'no request failed');
    assert.ok(seen.every((s) => s.requests >= 20), seen.map((s) => s.requests).join(' + '));
    const web = await list('&entry=web');
    assert.equal(web.length, 8, 'the service at its count');
    assert.ok(web.every((w) => w.node !== drained), 'nothing of it on the drained node');
    assert.equal((await eruContainers(dockers.get(drained)!, pod)).filter((c) => c.Labels['eru.app'] === app).length, 0, 'and nothing in its Docker');
    // Draining: nothing new lands there, and the scheduler says why; undrained, it takes work again.
    const capacity = await core.eru(['capacity', '--pod', pod, '--cpu', '0.1']);
    assert.match(capacity.stdout, new RegExp(`${drained}\\s+0\\s+draining: its instances are moving off it`));
    assert.equal((await core.eru(['node', 'undrain', drained])).code, 0);
    assert.doesNotMatch((await core.eru(['capacity', '--pod', pod, '--cpu', '0.1'])).stdout, /draining/);
    assert.equal((await core.eru(['scale', app, '--entry', 'web', '--count', '6'])).code, 0);
    await ledgersAgree();
  });

  it('exec: an interactive shell in tmux, stdin piped, exit codes through; never into a stopped workload', async () => {
    const [worker] = await list('&entry=worker');
    const session = `eru-exec-${tag}`;
    const exitFile = join(dir.path, 'exec-exit');
    const env = `ERU_URL=${core.url} ERU_TOKEN=${TEST_TOKEN} ERU_HOME=${dir.path}`;
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '20', `${env} node ${ERU_BIN} exec -it ${worker!.id} -- sh; echo EXIT=$? > ${exitFile}; sleep 60`]);
    try {
      await eventually(async () => execFileSync('tmux', ['capture-pane', '-p', '-t', session]).toString().includes('#') || execFileSync('tmux', ['capture-pane', '-p', '-t', session]).toString().includes('$'), 15_000, 'the shell prompt');
      execFileSync('tmux', ['send-keys', '-t', session, 'echo inside-$((6*7)) $(whoami); stty size', 'Enter']);
      await eventually(async () => /inside-42/.test(execFileSync('tmux', ['capture-pane', '-p', '-t', session]).toString()), 10_000, 'the echo');
      assert.match(execFileSync('tmux', ['capture-pane', '-p', '-t', session]).toString(), /^20 100$/m, 'the terminal has the pane\'s size');
      execFileSync('tmux', ['send-keys', '-t', session, 'exit 4', 'Enter']);
      await eventually(async () => existsSync(exitFile), 10_000, 'the exit');
      assert.equal(readFileSync(exitFile, 'utf8').trim(), 'EXIT=4');
    } finally {
      execFileSync('tmux', ['kill-session', '-t', session]);
    }
    const code = await core.eru(['exec', worker!.id, '--', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.deepEqual([code.code, code.stdout, code.stderr], [7, 'out\n', 'err\n']);
    // -i: stdin reaches the command. A line written while it runs comes back from `cat` before stdin is
    // closed; closing stdin ends `cat`, and eru with it (exit 0, not the test's kill).
    const cat = core.eruRunning(['exec', '-i', worker!.id, '--', 'cat']);
    try {
      let echoed = '';
      cat.stdout.on('data', (d: Buffer) => (echoed += d.toString()));
      const exited = new Promise<number | null>((resolve) => cat.on('close', (exitCode) => resolve(exitCode)));
      cat.stdin.write('a line through stdin\n');
      await eventually(async () => echoed === 'a line through stdin\n', 15_000, 'the line to come back while stdin is open');
      assert.equal(cat.exitCode, null, 'cat still runs while stdin is open');
      cat.stdin.end();
      const exitCode = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
      assert.equal(exitCode, 0, 'closing stdin ended the command');
    } finally {
      cat.kill('SIGKILL');
    }
    const piped = await core.eru(['exec', '-i', worker!.id, '--', 'sh', '-c', 'tr a-z A-Z'], { input: 'upper case\n', timeoutMs: 20_000 });
    assert.deepEqual([piped.code, piped.stdout], [0, 'UPPER CASE\n']);
    // Stopped by an operator (eru stop): the keeper leaves it be, so it stays listed as exited.
    assert.equal((await core.eru(['stop', '--time', '0', worker!.id])).code, 0);
    const stopped = await core.eru(['exec', worker!.id, '--', 'true']);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /is not running \(exited, exit 137\): nothing to exec into/);
    const ps = await core.eru(['ps', '--pod', pod, '--status', 'exited']);
    await eventually(async () => (await core.eru(['ps', '--pod', pod, '--status', 'exited'])).stdout.includes(worker!.id), 10_000, 'ps --status exited to list it');
    assert.ok(ps.code === 0);
    assert.match((await core.eru(['ps', '--pod', pod, '--status', 'exited'])).stdout, new RegExp(`${worker!.id}\\s+\\S+\\s+service\\s+exited 137\\s+\\d+[smhd]`));
    assert.equal((await core.eru(['rm', worker!.id])).code, 0);
  });

  it('cp: a file and a directory both ways, modes kept but set-id bits; over the copy limit nothing is written on either side', async () => {
    const [worker] = await list('&entry=worker');
    const local = join(dir.path, 'cp');
    mkdirSync(join(local, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(local, 'tree', 'sub', 'run.sh'), '#!/bin/sh\necho ran\n');
    chmodSync(join(local, 'tree', 'sub', 'run.sh'), 0o750);
    assert.equal((await core.eru(['cp', join(local, 'tree'), `${worker!.id}:/tmp/copied`])).code, 0);
    const inside = await execIn(dockerOf(worker!), worker!.id, ['sh', '-c', 'stat -c "%a %u" /tmp/copied/sub/run.sh && /tmp/copied/sub/run.sh']);
    assert.equal(inside.output, '750 10001\nran\n', 'mode kept, owned by the app\'s user, runnable by it');
    const back = await core.eru(['cp', `${worker!.id}:/tmp/copied`, join(local, 'back')]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(readFileSync(join(local, 'back', 'sub', 'run.sh'), 'utf8'), '#!/bin/sh\necho ran\n');
    assert.equal(statSync(join(local, 'back', 'sub', 'run.sh')).mode & 0o777, 0o750);
    assert.equal(statSync(join(local, 'back', 'sub', 'run.sh')).uid, process.getuid!(), 'owned here by who copied it');
    // A set-user-ID file of the workload's comes out without the bit, from the API itself and through eru cp.
    assert.equal((await execIn(dockerOf(worker!), worker!.id, ['sh', '-c', 'cp /bin/busybox /tmp/suid && chmod 4755 /tmp/suid && stat -c %a /tmp/suid'])).output, '4755\n');
    const raw = Buffer.from(await (await fetch(`${core.url}/v1/workloads/${worker!.id}/archive?path=/tmp/suid`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).arrayBuffer());
    assert.equal(raw.subarray(0, 100).toString('latin1').replace(/\0.*$/s, ''), 'suid');
    // Some Engines write the file-type bits into the mode field too (100755): only the permission bits count here.
    assert.equal((parseInt(raw.subarray(100, 108).toString('latin1'), 8) & 0o7777).toString(8), '755', 'the mode in the tar the core sends');
    const suid = await core.eru(['cp', `${worker!.id}:/tmp/suid`, join(local, 'suid')]);
    assert.equal(suid.code, 0, suid.stderr);
    assert.equal((statSync(join(local, 'suid')).mode & 0o7777).toString(8), '755');
    // Over the core's 2 MiB limit, both ways: a clear error and nothing half-written.
    writeFileSync(join(local, 'big'), Buffer.alloc(3 * 1024 * 1024, 1));
    const up = await core.eru(['cp', join(local, 'big'), `${worker!.id}:/tmp/big`]);
    assert.equal(up.code, 1);
    const upLimit = /over the limit of (\S+); nothing was written into the container/.exec(up.stderr);
    assert.ok(upLimit, up.stderr);
    assert.equal(parseMemory(upLimit[1], ['limit']), 2 * 1024 * 1024);
    assert.notEqual((await execIn(dockerOf(worker!), worker!.id, ['test', '-e', '/tmp/big'])).code, 0);
    await execIn(dockerOf(worker!), worker!.id, ['sh', '-c', 'dd if=/dev/zero of=/tmp/huge bs=1M count=3 2>/dev/null']);
    const down = await core.eru(['cp', `${worker!.id}:/tmp/huge`, join(local, 'huge')]);
    assert.equal(down.code, 1);
    const downLimit = /over the copy limit of (\S+?)[;,.]?(\s|$)/.exec(down.stderr);
    assert.ok(downLimit, down.stderr);
    assert.equal(parseMemory(downLimit[1], ['limit']), 2 * 1024 * 1024);
    assert.equal(existsSync(join(local, 'huge')), false);
    const missing = await core.eru(['cp', `${worker!.id}:/no/such`, join(local, 'x')], { timeoutMs: 20_000 });
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /\/no\/such: .*(no such|not find|not found)/i);
    assert.equal(existsSync(join(local, 'x')), false);
  });

  it('hooks: a forced after_start failure rolls the deploy back; a forced before_stop failure keeps the workload; others are reported', async () => {
    const base = { pod, app: 'hooked', image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.1, count: 1 };
    const forced = await core.client.collect<{ type: string; ok?: boolean; hook?: string }>('POST', '/v1/workloads', { ...base, entry: 'strict', hooks: { afterStart: ['exit 3'], force: true } });
    const forcedResult = forced.events.at(-1) as unknown as { ok: boolean; error: { message: string } };
    assert.equal(forcedResult.ok, false);
    assert.match(forcedResult.error.message, /after_start hook "exit 3" of hooked_strict_\w+ exited 3/);
    assert.ok(forced.events.some((e) => e.type === 'rolledback'));
    assert.equal((await eruContainers(testDocker(), pod)).filter((c) => c.Labels['eru.app'] === 'hooked').length + (await eruContainers(extra.docker, pod)).filter((c) => c.Labels['eru.app'] === 'hooked').length, 0);
    const lenient = await core.client.collect<{ type: string; ok?: boolean; hook?: string }>('POST', '/v1/workloads', { ...base, entry: 'lenient', hooks: { afterStart: ['echo warm > /tmp/warm', 'exit 2'], beforeStop: ['exit 5'], force: false } });
    assert.equal((lenient.events.at(-1) as { ok: boolean }).ok, true);
    assert.deepEqual(lenient.events.filter((e) => e.type === 'hook').map((e) => e.ok), [true, false]);
    const [kept] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=hooked&entry=lenient`)).body;
    assert.equal((await execIn(dockerOf(kept!), kept!.id, ['cat', '/tmp/warm'])).output, 'warm\n', 'after_start ran inside');
    assert.equal((await core.eru(['rm', kept!.id])).code, 0, 'a failing before_stop without force is only reported');
    const guarded = await core.client.collect<{ type: string }>('POST', '/v1/workloads', { ...base, entry: 'guarded', hooks: { beforeStop: ['exit 6'], force: true } });
    const [stays] = (guarded.events.at(-1) as unknown as { workloads: Workload[] }).workloads;
    const refused = await core.eru(['rm', stays!.id]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /before_stop hook "exit 6" of .* exited 6.*was not removed \(its hooks are forced\)/);
    assert.equal((await dockerOf(stays!).getContainer(stays!.id).inspect()).State.Running, true);
  });

  it('startup boost: a container starts without its quota and gets it once running, or once its boost ends', async () => {
    const plain = await core.client.deploy({ pod, app: 'boost', entry: 'plain', image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.1, count: 1 });
    assert.ok(plain.ok);
    const [p] = plain.workloads;
    assert.equal((await dockerOf(p!).getContainer(p!.id).inspect()).HostConfig.CpuQuota, 10000, 'on as soon as it runs');
    assert.ok(p!.quotaSince);
    const boosted = await core.client.deploy({ pod, app: 'boost', entry: 'boosted', image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.1, count: 1, startupBoost: 3 });
    assert.ok(boosted.ok);
    const [b] = boosted.workloads;
    assert.equal((await dockerOf(b!).getContainer(b!.id).inspect()).HostConfig.CpuQuota, 0, 'no quota during the boost');
    assert.match((await core.eru(['inspect', b!.id])).stdout, /cpu quota\s+not yet: startup boost \(3 s or until healthy\)/);
    await eventually(async () => (await dockerOf(b!).getContainer(b!.id).inspect()).HostConfig.CpuQuota === 10000, 10_000, 'the quota after the boost');
    await eventually(async () => /cpu quota\s+on since 20/.test((await core.eru(['inspect', b!.id])).stdout), 5_000, 'inspect to say when the boost ended');
    await ledgersAgree();
  });

  it('eru apply: a dry run prints the changes and changes nothing; the real run converges', async () => {
    const file = join(dir.path, 'desired.yaml');
    writeFileSync(file, `services:\n  - {app: ${app}, pod: ${pod}, entry: worker, version: ${versions.v2}, count: 2, cpu: 0.3, memory: 32MiB}\n  - {app: applied, pod: ${pod}, entry: main, image: ${BASE_IMAGE}, command: [sleep, '600'], count: 1, cpu: 0.1}\n`);
    const before = (await list('&entry=worker')).map((w) => w.id).sort();
    const dry = await core.eru(['apply', file, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`would replace ${app}/worker in ${pod}: \\w{7} → ${versions.v2}`));
    assert.match(dry.stdout, new RegExp(`would resize \\d+ instance\\(s\\) of ${app}/worker in ${pod}: cpu 0.2 → 0.3`));
    assert.match(dry.stdout, /would create applied\/main/);
    assert.deepEqual((await list('&entry=worker')).map((w) => w.id).sort(), before, 'a dry run changes nothing');
    const real = await core.eru(['apply', file], { timeoutMs: 300_000 });
    assert.equal(real.code, 0, real.stderr);
    const workers = await list('&entry=worker');
    assert.equal(workers.length, 2);
    for (const w of workers) assert.deepEqual([w.image, w.cpu], [`${app}:${versions.v2}`, 0.3]);
    assert.equal((await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=applied`)).body.length, 1);
    const again = await core.eru(['apply', file, '--dry-run']);
    assert.match(again.stdout, /nothing to do/);
    await ledgersAgree();
  });

  it('eru apply sees a realloc as drift, replaces an image service with its new image, takes app.yaml\'s cmd, and a failed step says what was left undone', async () => {
    // Another name for the base image, on both daemons: an image service's "new version".
    const retagged = `local/busybox:retag-${tag}`;
    for (const docker of dockers.values()) await docker.getImage(BASE_IMAGE).tag({ repo: 'local/busybox', tag: `retag-${tag}` });
    try {
      const [worker] = await list('&entry=worker');
      const resized = await core.eru(['realloc', worker!.id, '--cpu', '0.4']);
      assert.equal(resized.code, 0, resized.stderr);
      const file = join(dir.path, 'desired-2.yaml');
      writeFileSync(file, `services:\n  - {app: ${app}, pod: ${pod}, entry: worker, version: ${versions.v2}, count: 2, cpu: 0.3, memory: 32MiB}\n  - {app: applied, pod: ${pod}, entry: main, image: ${retagged}, command: [sleep, '600'], count: 1, cpu: 0.1}\n  - {app: cmdapp, pod: ${pod}, entry: main, image: ${BASE_IMAGE}, cmd: 'echo from-cmd; sleep 600', count: 1, cpu: 0.1}\n`);
      const dry = await core.eru(['apply', file, '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, new RegExp(`^would resize 1 instance\\(s\\) of ${app}/worker in ${pod}: cpu 0.4 → 0.3`, 'm'));
      assert.match(dry.stdout, new RegExp(`^would replace applied/main in ${pod}: ${BASE_IMAGE} → ${retagged}$`, 'm'));
      assert.match(dry.stdout, /^would create cmdapp\/main/m);
      const real = await core.eru(['apply', file], { timeoutMs: 300_000 });
      assert.equal(real.code, 0, real.stderr);
      assert.equal((await core.api<{ workload: Workload }>('GET', `/v1/workloads/${worker!.id}`)).body.workload.cpu, 0.3, 'resized back in place');
      const [applied] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=applied`)).body;
      assert.equal(applied!.image, retagged);
      const [fromCmd] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=cmdapp`)).body;
      assert.deepEqual(fromCmd!.command, ['sh', '-c', 'echo from-cmd; sleep 600']);
      assert.match((await core.eru(['apply', file, '--dry-run'])).stdout, /nothing to do/);
      // An image service is replaced by image, a version service by version; the other is a clear 400.
      const wrongKind = await core.eru(['replace', 'applied', '--entry', 'main', '--version', versions.v1]);
      assert.equal(wrongKind.code, 1);
      assert.match(wrongKind.stderr, new RegExp(`applied/main runs the image ${retagged}, not a version of the app: replace it with an image \\(--image\\)`));
      const same = await core.eru(['replace', 'applied', '--entry', 'main', '--image', retagged]);
      assert.match(same.stderr, new RegExp(`already runs ${retagged}`));

      // Both keys: refused with the field named. Then a step that cannot be done stops the rest.
      writeFileSync(file, `services:\n  - {app: cmdapp, pod: ${pod}, entry: main, image: ${BASE_IMAGE}, cmd: 'x', command: [x], count: 1, cpu: 0.1}\n`);
      const both = await core.eru(['apply', file]);
      assert.equal(both.code, 1);
      assert.match(both.stderr, /services\.0\.cmd: give command \(a list of words\) or cmd \(a string run by sh -c\), not both/);
      writeFileSync(file, `services:\n  - {app: applied, pod: ${pod}, entry: main, image: ${retagged}, command: [sleep, '600'], count: 400, cpu: 0.1}\n  - {app: never, pod: ${pod}, entry: main, image: ${BASE_IMAGE}, command: [sleep, '600'], count: 1, cpu: 0.1}\n`);
      const stopped = await core.eru(['apply', file], { timeoutMs: 120_000 });
      assert.notEqual(stopped.code, 0);
      assert.match(stopped.stderr, new RegExp(`apply stopped at "scale applied/main in ${pod}: 1 → 400": .*; 0 of 2 step\\(s\\) done, not done: create never/main in ${pod}`));
      assert.equal((await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=never`)).body.length, 0, 'nothing after the failed step was done');
      assert.equal((await core.eru(['scale', 'cmdapp', '--entry', 'main', '--count', '0'])).code, 0);
      assert.equal((await core.eru(['scale', 'applied', '--entry', 'main', '--count', '0'])).code, 0);
    } finally {
      for (const docker of dockers.values()) await docker.getImage(retagged).remove().catch(() => undefined);
    }
    await ledgersAgree();
  });

  it('SIGKILL of the core at three points of a replace: the next core rolls it back; every instance on the old version, nothing leaks', async () => {
    const interrupted: Array<{ newIds: number; removedOld: number }> = [];
    for (const killAfter of [3, 7, 12]) {
      const before = await list('&entry=web');
      assert.deepEqual([before.length, new Set(before.map((w) => w.image)).size], [6, 1]);
      const oldImage = before[0]!.image;
      const version = oldImage.endsWith(versions.v2) ? versions.v1 : versions.v2;
      let seen = 0;
      try {
        for await (const _event of core.client.stream('POST', `/v1/apps/${app}/entries/web/replace`, { pod, version, maxSurge: 1, drain: 0 })) {
          if (++seen === killAfter) break;
        }
      } finally {
        await core.stop('SIGKILL');
      }
      assert.equal(seen, killAfter, 'the replace was under way when the core was killed');
      const opened = openStore(core.store);
      const left = (await new Repositories(opened).intents.list().finally(() => opened.close())).map((i) => i.value).find((i) => i.kind === 'replace');
      assert.ok(left, `after ${killAfter} events the dead core left the replace's intent`);
      interrupted.push({ newIds: left.replace!.newIds.length, removedOld: left.replace!.removedOld.length });
      await core.start();
      await eventually(async () => (await core.api<Intent[]>('GET', '/v1/intents')).body.length === 0, 60_000, 'the replace to be rolled back');
      assert.match(core.log, /"kind":"replace".*undoing the intent of a core that died|undoing the intent of a core that died.*"kind":"replace"/);
      const web = await list('&entry=web');
      assert.equal(web.length, 6, 'as many instances as before');
      assert.deepEqual([...new Set(web.map((w) => w.image))], [oldImage], 'every instance on the old version');
      const containers = [...(await eruContainers(testDocker(), pod)), ...(await eruContainers(extra.docker, pod))].filter((c) => c.Labels['eru.app'] === app && c.Labels['eru.entry'] === 'web');
      assert.deepEqual(containers.map((c) => c.Names[0]!.slice(1)).sort(), web.map((w) => w.id).sort(), 'no leaked container');
      // Containers are made from the version's image ID (the same on every node it was copied to).
      const oldImageId = (await testDocker().getImage(oldImage).inspect()).Id;
      for (const c of containers) assert.equal(c.Image, oldImageId);
      const pool = (await core.api<{ holders: Array<{ workload: string }> }>('GET', `/v1/networks/${network}`)).body;
      const holders = pool.holders.map((h) => h.workload);
      for (const w of web) assert.ok(holders.includes(w.id), `${w.id} holds its address`);
      const everyWorkload = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body.map((w) => w.id);
      assert.deepEqual(holders.filter((h) => !everyWorkload.includes(h)), [], 'no address held by a workload that is gone');
      await ledgersAgree();
      const service = (await core.api<Array<{ app: string; entry: string; version?: string }>>('GET', '/v1/services')).body.find((x) => x.app === app && x.entry === 'web');
      assert.equal(oldImage.endsWith(service!.version!), true, 'the service record says the old version');
      const last = (await core.api<Rollout[]>('GET', `/v1/apps/${app}/entries/web/rollouts`)).body.at(-1)!;
      assert.deepEqual([last.outcome, /rolled back by another core: the core doing it \(.+\) died/.test(last.message ?? '')], ['rolled back', true], 'its rollout says what happened');
    }
    console.log(`interrupted replaces (new recorded / old removed): ${interrupted.map((i) => `${i.newIds}/${i.removedOld}`).join(', ')}`);
    assert.ok(interrupted.some((i) => i.newIds > 0), 'a kill landed after new instances started');
    assert.ok(interrupted.some((i) => i.removedOld > 0), 'a kill landed after old instances were gone');
  });
});
