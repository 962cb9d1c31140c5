import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Workload } from '../../src/model/workload.js';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/** A page on 8080 inside; the host port is what the tests publish. */
const WEB = ['sh', '-c', 'mkdir -p /tmp/w && echo "$ERU_WORKLOAD" > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w'];

describe('host ports are held like cores: one holder per node, taken with the reservation, given back with the removal', () => {
  const tag = uniqueSuffix();
  const solo = `ports-solo-${tag}`;
  const pair = `ports-pair-${tag}`;
  const retagged = `local/busybox:ports-${tag}`;
  const daemons: ExtraDaemon[] = [];
  const engines = new Map<string, Docker>();
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let port: number;

  before(async () => {
    dir = await tempDir('eru-ports-');
    port = await freePort();
    // Two daemons standing in for two hosts, each in a network namespace of its own: each can publish the same port.
    daemons.push(...(await Promise.all([ExtraDaemon.start(3, { ownNetwork: true }), ExtraDaemon.start(4, { ownNetwork: true })])));
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    for (const [pod, nodes] of [
      [solo, [['solo', dockerEndpoint()]]],
      [pair, [['b1', daemons[0]!.endpoint], ['b2', daemons[1]!.endpoint]]],
    ] as const) {
      assert.equal((await core.eru(['pod', 'add', pod, '--sharebase', '10'])).code, 0);
      for (const [name, endpoint] of nodes) {
        const added = await core.eru(['node', 'add', pod, `${name}-${tag}`, '--endpoint', endpoint, '--cpus', '0,1', '--memory', '1GiB']);
        assert.equal(added.code, 0, added.stderr);
        engines.set(`${name}-${tag}`, testDocker(endpoint));
      }
    }
    for (const docker of engines.values()) await docker.getImage(BASE_IMAGE).tag({ repo: 'local/busybox', tag: `ports-${tag}` });
  });
  after(async () => {
    for (const [name, docker] of engines) {
      await removePodContainers(docker, name.startsWith('solo') ? solo : pair).catch(() => undefined);
      await docker.getImage(retagged).remove().catch(() => undefined);
    }
    await core?.stop();
    await Promise.all(daemons.map((d) => d.stop()));
    await dir?.remove();
  });

  const deploy = (pod: string, app: string, count: number, image = BASE_IMAGE) =>
    core.eru(['deploy', '--pod', pod, '--app', app, '--entry', 'web', '--image', image, '--count', String(count), '--cpu', '0.1', '--publish', `127.0.0.1:${port}:8080`, '--', ...WEB]);
  const workloadsOf = async (pod: string, app: string): Promise<Workload[]> => (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&app=${app}`)).body;
  const containers = async (): Promise<number> => {
    let all = 0;
    for (const docker of engines.values()) all += (await eruContainers(docker, solo)).length + (await eruContainers(docker, pair)).length;
    return all;
  };
  const capacity = async (pod: string): Promise<{ total: number; nodes: Array<{ node: string; capacity: number; reason?: string }> }> =>
    (await core.api<{ total: number; nodes: Array<{ node: string; capacity: number; reason?: string }> }>('POST', `/v1/pods/${pod}/capacity`, { cpu: 0.1, publish: [`${port}:8080`] })).body;

  it('one node: the port is held by the first instance; a second is refused before anything is made, and capacity names the holder', async () => {
    const first = await deploy(solo, 'held', 1);
    assert.equal(first.code, 0, first.stderr);
    const [holder] = await workloadsOf(solo, 'held');
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text()).catch(() => '')).trim() === holder!.id, 15_000, 'the page on the host port');
    const before = await containers();
    // Two instances of one port on one node: refused up front (one per node), nothing made.
    const two = await core.eru(['deploy', '--pod', solo, '--app', 'twice', '--image', BASE_IMAGE, '--count', '2', '--cpu', '0.1', '--publish', `127.0.0.1:${port + 1}:8080`, '--', ...WEB]);
    assert.equal(two.code, 2, two.stderr);
    assert.match(two.stderr, new RegExp(`one instance per node: it publishes host port ${port + 1}/tcp`));
    // Another app asking for the held port: refused naming the holder, nothing made.
    const other = await deploy(solo, 'other', 1);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, new RegExp(`host port ${port}/tcp is held by ${holder!.id}`));
    assert.equal(await containers(), before, 'no container was made');
    assert.deepEqual(await workloadsOf(solo, 'other'), []);
    const shown = await core.eru(['capacity', '--pod', solo, '--cpu', '0.1', '--publish', `${port}:8080`]);
    assert.match(shown.stdout, new RegExp(`^solo-${tag}\\s+0\\s+host port ${port}/tcp is held by ${holder!.id}$`, 'm'));
    // The refusal held nothing: once the holder goes, the port is free for one.
    assert.equal((await core.eru(['rm', holder!.id])).code, 0);
    assert.deepEqual((await capacity(solo)).nodes.map((n) => n.capacity), [1]);
    assert.equal((await deploy(solo, 'held', 1)).code, 0);
  });

  it('one node: replace moves to the new image in place, saying why before it starts; the page answers after', async () => {
    const [old] = await workloadsOf(solo, 'held');
    const replaced = await core.eru(['replace', 'held', '--entry', 'web', '--pod', solo, '--image', retagged, '--min-healthy', '1s'], { timeoutMs: 120_000 });
    assert.equal(replaced.code, 0, replaced.stderr);
    const lines = replaced.stderr.split('\n');
    const noted = lines.findIndex((l) => new RegExp(`no room in pod ${solo} to start new instances ahead of the old \\(solo-${tag}: .*host port ${port}/tcp is held by ${old!.id}\\): replacing in place`).test(l));
    assert.ok(noted >= 0, replaced.stderr);
    assert.ok(noted < lines.findIndex((l) => l.startsWith('removed ')), 'said before anything was removed');
    const [now] = await workloadsOf(solo, 'held');
    assert.deepEqual([now!.image, now!.node], [retagged, `solo-${tag}`]);
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.text()).catch(() => '')).trim() === now!.id, 15_000, 'the new instance on the host port');
  });

  it('two nodes: two instances of a port land on different nodes, a third is refused with nothing made, and replace surges to the free node', async () => {
    const two = await deploy(pair, 'spread', 2);
    assert.equal(two.code, 0, two.stderr);
    const placed = await workloadsOf(pair, 'spread');
    assert.deepEqual(placed.map((w) => w.node).sort(), [`b1-${tag}`, `b2-${tag}`]);
    const before = await containers();
    const third = await core.eru(['scale', 'spread', '--entry', 'web', '--pod', pair, '--count', '3']);
    assert.notEqual(third.code, 0);
    assert.match(third.stderr, /host port \d+\/tcp is held by/);
    assert.equal(await containers(), before, 'no container was made');
    // One instance left: the replacement starts ahead of it on the node whose port is free.
    assert.equal((await core.eru(['scale', 'spread', '--entry', 'web', '--pod', pair, '--count', '1'])).code, 0);
    const [kept] = await workloadsOf(pair, 'spread');
    const replaced = await core.eru(['replace', 'spread', '--entry', 'web', '--pod', pair, '--image', retagged, '--min-healthy', '1s'], { timeoutMs: 120_000 });
    assert.equal(replaced.code, 0, replaced.stderr);
    assert.doesNotMatch(replaced.stderr, /in place/);
    const [now] = await workloadsOf(pair, 'spread');
    assert.equal(now!.image, retagged);
    assert.notEqual(now!.node, kept!.node, 'surged to the other node');
    assert.equal((await capacity(pair)).total, 1, 'the old node\'s port was given back');
  });
});
