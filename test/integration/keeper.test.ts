import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { NetworkView } from '../../src/contract/networks.js';
import type { NodeView } from '../../src/contract/nodes.js';
import type { ServiceView } from '../../src/contract/services.js';
import type { WorkloadListItem } from '../../src/contract/workloads.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { L2Switch } from '../../harness/l2.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

const NODE_TTL = 2;
const LOST_AFTER = 3;

/**
 * The keeper on three real Docker daemons (the main one and two extra ones standing in for hosts):
 * a host dies (its dockerd and containerd SIGKILLed, its agent too), the leader replaces what it ran
 * on the other two, and when the host returns what it still had is the surplus that goes.
 */
describe('the keeper: a kept service survives losing a node', () => {
  const tag = uniqueSuffix().slice(0, 4).replace(/[^a-z0-9]/g, 'k');
  const l2 = L2Switch.create(tag);
  const pod = `keep-${uniqueSuffix()}`;
  const net = `keepnet-${tag}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const daemons = new Map<string, ExtraDaemon>();
  const agents = new Map<string, AgentProcess>();
  const dockers = new Map<string, Docker>();
  const endpoints = new Map<string, string>();

  async function startAgent(name: string): Promise<void> {
    const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${name}/tokens`)).body.token;
    const agent = new AgentProcess(core.url, name, token, endpoints.get(name)!);
    agent.start();
    agents.set(name, agent);
  }

  before(async () => {
    dir = await tempDir('eru-keep-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--node-ttl', String(NODE_TTL)]);
    daemons.set('b', await ExtraDaemon.start(7));
    daemons.set('c', await ExtraDaemon.start(8));
    endpoints.set('a', dockerEndpoint()).set('b', daemons.get('b')!.endpoint).set('c', daemons.get('c')!.endpoint);
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    for (const [host, name] of [[1, 'a'], [2, 'b'], [3, 'c']] as const) {
      l2.plug(host);
      const added = await core.eru(['node', 'add', pod, `${name}-${tag}`, '--endpoint', endpoints.get(name)!, '--cpus', '0', '--memory', '1GiB', '--macvlan-parent', l2.parent(host)]);
      assert.equal(added.code, 0, added.stderr);
      endpoints.set(`${name}-${tag}`, endpoints.get(name)!);
      dockers.set(`${name}-${tag}`, name === 'a' ? testDocker() : daemons.get(name)!.docker);
      await startAgent(`${name}-${tag}`);
    }
    assert.equal((await core.eru(['network', 'add', net, '--subnet', '10.236.0.0/24', '--range', '10.236.0.10-10.236.0.60', '--pod', pod])).code, 0);
    for (const name of dockers.keys()) {
      await eventually(async () => (await core.api<NodeView>('GET', `/v1/nodes/${name}`)).body.liveness.state === 'up', 15_000, `${name} up`);
    }
  });
  after(async () => {
    // Each step on its own: one that fails leaves the rest to run.
    const steps: Array<() => Promise<unknown>> = [
      ...[...agents.values()].map((agent) => () => agent.stop()),
      ...[...daemons.values()].map((daemon) => async () => (daemon.dead ? daemon.restart() : undefined)),
      ...[...dockers.values()].map((docker) => async () => {
        await removePodContainers(docker, pod);
        await docker.getNetwork(net).remove().catch(() => undefined);
      }),
      async () => core?.stop(),
      ...[...daemons.values()].map((daemon) => () => daemon.stop()),
      async () => l2.remove(),
      async () => dir?.remove(),
    ];
    for (const step of steps) await step().catch((error: unknown) => console.error('clean-up step failed:', error));
  });

  const node = (name: string): string => `${name}-${tag}`;

  /** The service's containers as each Docker daemon that answers sees them (a dead one is skipped). */
  async function runningByNode(app: string, skip: string[] = []): Promise<Record<string, string[]>> {
    const seen: Record<string, string[]> = {};
    for (const [name, docker] of dockers) {
      if (skip.includes(name)) continue;
      const mine = (await eruContainers(docker, pod)).filter((c) => c.Labels['eru.app'] === app && c.State === 'running');
      if (mine.length > 0) seen[name] = mine.map((c) => c.Names[0]!.replace(/^\//, '')).sort();
    }
    return seen;
  }

  async function instances(app: string): Promise<WorkloadListItem[]> {
    return (await core.api<WorkloadListItem[]>('GET', `/v1/workloads?pod=${pod}&app=${app}`)).body;
  }

  /** Each address of the network held once, and only by a workload that exists. */
  async function assertAddressesHeldOnce(): Promise<Map<string, string>> {
    const view = (await core.api<NetworkView>('GET', `/v1/networks/${net}`)).body;
    const holders = new Map<string, number>();
    for (const h of view.holders) holders.set(h.address, (holders.get(h.address) ?? 0) + 1);
    for (const [address, count] of holders) assert.equal(count, 1, `${address} held ${count} times`);
    const existing = new Set((await core.api<WorkloadListItem[]>('GET', `/v1/workloads?pod=${pod}`)).body.map((w) => w.id));
    for (const h of view.holders) assert.ok(existing.has(h.workload), `${h.address} is held by ${h.workload}, which is gone`);
    return new Map(view.holders.map((h) => [h.workload, h.address]));
  }

  async function killNode(name: string): Promise<void> {
    await agents.get(name)!.stop('SIGKILL');
    await daemons.get(name.split('-')[0]!)!.kill();
  }

  async function reviveNode(name: string): Promise<void> {
    await daemons.get(name.split('-')[0]!)!.restart();
    await startAgent(name);
  }

  it('6 instances on three nodes, one node dies: 6 run again on the other two within lostAfter + 10 s; when it returns the surplus goes and no address is held twice', async () => {
    const app = `kept-${tag}`;
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', app, '--image', BASE_IMAGE, '--count', '6', '--cpu', '0.1', '--network', net, '--lost-after', `${LOST_AFTER}s`, '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const before = await runningByNode(app);
    assert.deepEqual(Object.values(before).map((ids) => ids.length), [2, 2, 2], 'AUTO spread them 2, 2, 2');
    const service = (await core.api<ServiceView[]>('GET', '/v1/services')).body.find((s) => s.app === app)!;
    assert.deepEqual([service.count, service.keep, service.lostAfter], [6, true, LOST_AFTER], 'the deploy wrote the desired count');

    const dead = node('b');
    const lostIds = before[dead]!;
    const killedAt = Date.now();
    await killNode(dead);
    await eventually(
      async () => {
        const running = await runningByNode(app, [dead]);
        const recorded = (await instances(app)).filter((w) => w.node !== dead && w.state === 'running');
        return Object.values(running).flat().length === 6 && recorded.length === 6;
      },
      (NODE_TTL + LOST_AFTER + 10) * 1000,
      '6 instances running on the two nodes left',
    );
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs <= (NODE_TTL + LOST_AFTER + 10) * 1000, `back at count after ${tookMs} ms`);
    // The store agrees with Docker: 6 running off the dead node, and the lost two still recorded there.
    const recorded = await instances(app);
    const live = recorded.filter((w) => w.node !== dead);
    assert.equal(live.length, 6);
    assert.ok(live.every((w) => w.state === 'running'), live.map((w) => `${w.id}:${w.state}`).join(' '));
    assert.deepEqual(recorded.filter((w) => w.node === dead).map((w) => w.id).sort(), lostIds);
    const running = await runningByNode(app, [dead]);
    assert.deepEqual(Object.values(running).flat().sort(), live.map((w) => w.id).sort(), "Docker's view and the store's are the same instances");
    const addresses = await assertAddressesHeldOnce();
    assert.equal(new Set(live.map((w) => addresses.get(w.id))).size, 6, 'each live instance has an address of its own');
    const kept = (await core.api<ServiceView[]>('GET', '/v1/services')).body.find((s) => s.app === app)!;
    assert.deepEqual(kept.replaced.sort(), lostIds, 'the service remembers which lost instances were replaced');
    const activities = (await core.api<Array<{ kind: string; ok?: boolean; lines: string[] }>>('GET', `/v1/apps/${app}/activities`)).body;
    assert.ok(activities.some((a) => a.kind === 'keep' && a.ok === true && a.lines.some((l) => l.includes('2 lost with their node'))), 'a keep activity says what was lost');

    // The node comes back: Docker on it brings up whatever it still had; the keeper removes the surplus.
    await reviveNode(dead);
    await eventually(
      async () => {
        const now = await instances(app);
        const onDead = (await eruContainers(dockers.get(dead)!, pod)).filter((c) => c.Labels['eru.app'] === app);
        return now.length === 6 && now.every((w) => w.node !== dead) && onDead.length === 0;
      },
      30_000,
      'the surplus on the returned node removed, from the store and from its Docker',
    );
    assert.deepEqual(Object.values(await runningByNode(app)).flat().length, 6);
    await assertAddressesHeldOnce();
    assert.deepEqual((await core.api<ServiceView[]>('GET', '/v1/services')).body.find((s) => s.app === app)!.replaced, []);
    await core.eru(['scale', app, '--entry', 'main', '--pod', pod, '--count', '0']);
  });

  it('a fixed address waits for --gone: not moved while the node is only down; moved once it is declared gone; the old container removed when the node returns', async () => {
    const app = `fixed-${tag}`;
    const fixed = '10.236.0.50';
    // Off the main daemon, so the node that dies is one this test can kill.
    assert.equal((await core.eru(['node', 'set', node('a'), '--bypass'])).code, 0);
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', app, '--image', BASE_IMAGE, '--count', '1', '--cpu', '0.1', '--network', `${net}:${fixed}`, '--lost-after', `${LOST_AFTER}s`, '--', 'sleep', '600']);
    assert.equal((await core.eru(['node', 'set', node('a'), '--no-bypass'])).code, 0);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [first] = await instances(app);
    const dead = first!.node;
    assert.notEqual(dead, node('a'));
    await killNode(dead);
    // Past TTL + lostAfter and some more: still the one instance, still holding the address, nothing new anywhere.
    await eventually(async () => (await core.api<NodeView>('GET', `/v1/nodes/${dead}`)).body.liveness.state === 'down', 15_000, `${dead} down`);
    await new Promise((resolve) => setTimeout(resolve, (LOST_AFTER + 4) * 1000));
    assert.deepEqual((await instances(app)).map((w) => w.id), [first!.id]);
    assert.deepEqual(await runningByNode(app, [dead]), {}, 'no second host answers the fixed address');
    assert.equal((await assertAddressesHeldOnce()).get(first!.id), fixed);

    const gone = await core.eru(['node', 'set', dead, '--gone']);
    assert.equal(gone.code, 0, gone.stderr);
    const moved = await eventually(
      async () => {
        const now = (await instances(app)).filter((w) => w.state === 'running');
        return now.length === 1 && now[0]!.id !== first!.id ? now[0] : undefined;
      },
      20_000,
      'the instance moved to a live node',
    );
    assert.notEqual(moved.node, dead);
    const inspected = await dockers.get(moved.node)!.getContainer(moved.id).inspect();
    assert.equal(inspected.NetworkSettings.Networks[net]?.IPAMConfig?.IPv4Address ?? inspected.NetworkSettings.Networks[net]?.IPAddress, fixed, 'with the same fixed address');
    assert.equal((await assertAddressesHeldOnce()).get(moved.id), fixed);
    const fenced = (await core.api<NodeView>('GET', `/v1/nodes/${dead}`)).body;
    assert.deepEqual([fenced.gone, fenced.fenced?.map((f) => f.id)], [true, [first!.id]]);

    await reviveNode(dead);
    await eventually(
      async () => (await eruContainers(dockers.get(dead)!, pod)).filter((c) => c.Labels['eru.app'] === app).length === 0,
      30_000,
      'the fenced container removed from the node that came back',
    );
    await eventually(async () => ((await core.api<NodeView>('GET', `/v1/nodes/${dead}`)).body.fenced ?? []).length === 0, 10_000, 'the fence lifted');
    assert.equal((await core.eru(['node', 'set', dead, '--no-gone'])).code, 0);
    assert.equal((await instances(app)).length, 1, 'still one instance');
    await core.eru(['scale', app, '--entry', 'main', '--pod', pod, '--count', '0']);
  });

  it('an instance that exits, and that Docker will not restart, is replaced; one an operator stopped (eru stop) is left be; eru rm leaves the service one smaller', async () => {
    const app = `exits-${tag}`;
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', app, '--image', BASE_IMAGE, '--count', '3', '--cpu', '0.1', '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [crashing, stopped, removed] = await instances(app);
    await dockers.get(crashing!.node)!.getContainer(crashing!.id).kill();
    assert.equal((await core.eru(['stop', '--time', '0', stopped!.id])).code, 0);
    await eventually(
      async () => {
        const now = await instances(app);
        return now.length === 3 && !now.some((w) => w.id === crashing!.id) && now.filter((w) => w.state === 'running').length === 2;
      },
      20_000,
      'the killed instance replaced, the stopped one kept',
    );
    const now = await instances(app);
    assert.equal(now.find((w) => w.id === stopped!.id)?.state, 'exited', 'the stopped one is still there, exited');
    assert.equal((await core.eru(['rm', removed!.id])).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal((await instances(app)).length, 2, 'not brought back');
    assert.equal((await core.api<ServiceView[]>('GET', '/v1/services')).body.find((s) => s.app === app)!.count, 2);
    await core.eru(['scale', app, '--entry', 'main', '--pod', pod, '--count', '0']);
  });

  it('eru rm of an instance whose dockerd is dead: the command fails and says why; meanwhile the node takes nothing new (its agent says Docker does not answer); the core takes its removal up again itself once the daemon is back: container gone, address free, no intent left', async () => {
    const app = `orphan-${tag}`;
    const on = node('b');
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', app, '--image', BASE_IMAGE, '--count', '1', '--cpu', '0.1', '--node', on, '--network', net, '--no-keep', '--', 'sleep', '600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [instance] = await instances(app);
    const address = instance!.addresses[0]!.address;
    // A second record of the same host with no agent: nothing tells the core its Docker is dead.
    const blind = `${on}x`;
    assert.equal((await core.eru(['node', 'add', pod, blind, '--endpoint', endpoints.get('b')!, '--cpus', '0', '--memory', '1GiB'])).code, 0);
    await daemons.get('b')!.kill();
    try {
      // A deploy there fails (its create never reaches Docker) and gives its cores back at once, not when the daemon returns.
      const failed = await core.eru(['deploy', '--pod', pod, '--app', `${app}-blind`, '--image', BASE_IMAGE, '--count', '2', '--cpu', '0.3', '--node', blind, '--no-keep', '--', 'sleep', '600']);
      assert.notEqual(failed.code, 0, 'the deploy could not work');
      assert.match(failed.stderr, /ECONNREFUSED|ENOENT/);
      const held = (await core.api<Array<{ id: string; workloads: Array<{ app: string }> }>>('GET', '/v1/intents')).body.filter((i) => i.workloads.some((w) => w.app === `${app}-blind`));
      assert.deepEqual(held.map((i) => i.id), [], 'no intent left holding its cores');
      const blindView = (await core.api<NodeView>('GET', `/v1/nodes/${blind}`)).body;
      assert.equal(blindView.resources.cpuFree, blindView.resources.cpuTotal, 'its cores free again');
      assert.equal((await core.api('DELETE', `/v1/nodes/${blind}`)).status, 200);

      const rm = await core.eru(['rm', instance!.id]);
      assert.notEqual(rm.code, 0, 'the removal did not happen');
      assert.match(rm.stderr, new RegExp(`removing ${instance!.id} on ${on}`));
      const intents = (await core.api<Array<{ id: string; kind: string }>>('GET', '/v1/intents')).body.filter((i) => i.id.startsWith(`remove-${instance!.id}`));
      assert.equal(intents.length, 1, 'its removal intent is left');
      assert.ok((await core.api<NetworkView>('GET', `/v1/networks/${net}`)).body.holders.some((h) => h.address === address), 'its address held while its container may run');

      // Its agent still heartbeats, so the node is up; but it says its Docker does not answer, and a deploy goes elsewhere.
      await eventually(async () => /Docker does not answer/.test((await core.api<NodeView>('GET', `/v1/nodes/${on}`)).body.liveness.reason ?? ''), 15_000, `${on} reported without Docker`);
      const shown = await core.eru(['node', 'show', on]);
      assert.match(shown.stdout, /up since .*Docker does not answer/);
      const elsewhere = await core.eru(['deploy', '--pod', pod, '--app', `${app}-new`, '--image', BASE_IMAGE, '--count', '3', '--cpu', '0.1', '--no-keep', '--', 'sleep', '600']);
      assert.equal(elsewhere.code, 0, elsewhere.stderr);
      assert.deepEqual([...new Set((await instances(`${app}-new`)).map((w) => w.node))].sort(), [node('a'), node('c')], 'nothing placed on the node whose Docker is dead');
      assert.equal((await core.eru(['scale', `${app}-new`, '--entry', 'main', '--pod', pod, '--count', '0'])).code, 0);
    } finally {
      await daemons.get('b')!.restart();
    }
    // Let go of by the removal, and taken up by the core's own recovery at its next sweeps until the daemon answers.
    await eventually(async () => (await core.api<Array<{ id: string }>>('GET', '/v1/intents')).body.every((i) => !i.id.startsWith(`remove-${instance!.id}`)), 60_000, 'the removal taken up again');
    const left = (await daemons.get('b')!.docker.listContainers({ all: true })).filter((c) => c.Names.some((n) => n.includes(instance!.id)));
    assert.deepEqual(left.map((c) => c.Names), [], 'its container gone');
    assert.ok(!(await core.api<NetworkView>('GET', `/v1/networks/${net}`)).body.holders.some((h) => h.address === address), 'its address free');
    await eventually(async () => {
      const liveness = (await core.api<NodeView>('GET', `/v1/nodes/${on}`)).body.liveness;
      return liveness.state === 'up' && liveness.reason === undefined;
    }, 30_000, `${on} up again, its Docker answering`);
  });
});
