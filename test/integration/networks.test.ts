import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { Endpoint, NetworkView } from '../../src/contract/networks.js';
import type { EruEvent } from '../../src/contract/events.js';
import type { Workload } from '../../src/model/workload.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, eruContainers, execIn, removePodContainers, testDocker } from '../../harness/docker.js';
import { ExtraDaemon } from '../../harness/dockerd.js';
import { L2Switch } from '../../harness/l2.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/** A web server that answers with its own workload id. */
const WEB = ['sh', '-c', 'mkdir -p /tmp/www && echo "$ERU_WORKLOAD" > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www'];
const tag = uniqueSuffix().slice(-4).replace(/[^a-z0-9]/g, 'x');

describe('networks: MacVLAN with Eru-owned addresses, across three Docker daemons on a switch the test builds', () => {
  const l2 = L2Switch.create(tag);
  const pod = `net-${uniqueSuffix()}`;
  const vlanPod = `vlan-${uniqueSuffix()}`;
  const [plain, red, blue] = [`plain-${tag}`, `red-${tag}`, `blue-${tag}`];
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const daemons: ExtraDaemon[] = [];
  const agents: AgentProcess[] = [];
  const dockers = new Map<string, Docker>();

  before(async () => {
    dir = await tempDir('eru-net-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    daemons.push(await ExtraDaemon.start(5), await ExtraDaemon.start(6));
    // Host 1 is the main daemon, hosts 2 and 3 the extra ones; each is plugged in untagged and on its VLANs.
    for (const host of [1, 2, 3]) l2.plug(host);
    l2.plug(1, 120);
    l2.plug(2, 120);
    l2.plug(3, 130);
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    assert.equal((await core.eru(['pod', 'add', vlanPod])).code, 0);
    const nodes: Array<[string, string, string, number]> = [
      [pod, 'a', dockerEndpoint(), 1],
      [pod, 'b', daemons[0]!.endpoint, 2],
      [vlanPod, 'c', daemons[1]!.endpoint, 3],
    ];
    for (const [inPod, name, endpoint, host] of nodes) {
      const added = await core.eru(['node', 'add', inPod, name, '--endpoint', endpoint, '--macvlan-parent', l2.parent(host)]);
      assert.equal(added.code, 0, added.stderr);
      dockers.set(name, name === 'a' ? testDocker() : daemons[host - 2]!.docker);
      const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${name}/tokens`)).body.token;
      const agent = new AgentProcess(core.url, name, token, endpoint);
      agent.start();
      agents.push(agent);
    }
    assert.equal((await core.eru(['network', 'add', plain, '--subnet', '10.231.0.0/24', '--range', '10.231.0.10-10.231.0.40', '--pod', pod])).code, 0);
  });
  after(async () => {
    for (const agent of agents) await agent.stop();
    for (const [name, docker] of dockers) await removePodContainers(docker, name === 'c' ? vlanPod : pod);
    for (const docker of dockers.values()) {
      for (const net of [plain, red, blue]) await docker.getNetwork(net).remove().catch(() => undefined);
    }
    for (const daemon of daemons) await daemon.stop();
    l2.remove();
    await core?.stop();
    await dir?.remove();
  });

  const workloads = async (filter = ''): Promise<Workload[]> => (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}${filter}`)).body;
  const ipOf = (w: Workload, network: string): string => w.addresses.find((a) => a.network === network)!.address;
  // busybox's own `wget -T` crashes in this image; `timeout` bounds it instead.
  const fetchFrom = (w: Workload, url: string) => execIn(dockers.get(w.node)!, w.id, ['timeout', '5', 'wget', '-q', '-O', '-', url]);

  it('a container on each node fetches the other one\'s page by its Eru address; eru endpoints lists both', async () => {
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'web', '--entry', 'site', '--image', BASE_IMAGE, '--strategy', 'EACH', '--count', '1', '--cpu', '0.1', '--network', plain, '--expose', '8080', '--', ...WEB]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [x, y] = (await workloads('&entry=site')).sort((p, q) => p.node.localeCompare(q.node));
    assert.deepEqual([x!.node, y!.node], ['a', 'b']);
    // Docker holds exactly the addresses Eru chose.
    for (const w of [x!, y!]) {
      const inspected = await dockers.get(w.node)!.getContainer(w.id).inspect();
      assert.equal(inspected.NetworkSettings.Networks[plain]?.IPAddress, ipOf(w, plain));
      assert.equal(inspected.NetworkSettings.Networks[plain]?.IPAMConfig?.IPv4Address, ipOf(w, plain));
    }
    await eventually(async () => (await fetchFrom(x!, `http://${ipOf(y!, plain)}:8080/`)).output.trim() === y!.id, 15_000, 'a to fetch b');
    assert.equal((await fetchFrom(y!, `http://${ipOf(x!, plain)}:8080/`)).output.trim(), x!.id, 'b fetches a');

    const listed = await core.eru(['endpoints', 'web', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const endpoints = JSON.parse(listed.stdout) as Endpoint[];
    assert.deepEqual(
      endpoints.map((e) => [e.workload, e.network, e.address, e.ports]).sort(),
      [x!, y!].map((w) => [w.id, plain, ipOf(w, plain), ['8080/tcp']]).sort(),
    );
    const table = await core.eru(['ps', '--pod', pod]);
    assert.match(table.stdout, new RegExp(`${x!.id}.*${plain}=${ipOf(x!, plain).replace(/\./g, '\\.')}`));

    // Each change sends the whole new list: one goes, the list on the bus has the other alone.
    const seen: EruEvent[] = [];
    const watch = core.client.events({ app: 'web', type: 'endpoints.changed' });
    const reading = (async () => {
      for await (const e of watch) {
        seen.push(e);
        if ((e.data.endpoints as Endpoint[]).length === 1) return;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await core.eru(['rm', y!.id])).code, 0);
    await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error('no endpoints.changed')), 10_000))]);
    assert.deepEqual((seen.at(-1)!.data.endpoints as Endpoint[]).map((e) => e.workload), [x!.id]);
    await watch.return(undefined);
  });

  it('no raw sockets: a workload cannot open a packet or raw socket to forge another address on the L2 (arping, ping); --cap-add NET_RAW (admin) gives it back', async () => {
    const pair = await core.eru(['deploy', '--pod', pod, '--app', 'web', '--entry', 'pair', '--image', BASE_IMAGE, '--strategy', 'EACH', '--count', '1', '--cpu', '0.1', '--network', plain, '--', 'sleep', '600']);
    assert.equal(pair.code, 0, pair.stderr);
    const [x, y] = (await workloads('&entry=pair')).sort((p, q) => p.node.localeCompare(q.node));
    const docker = dockers.get(x!.node)!;
    // Claiming y's address by gratuitous ARP needs an AF_PACKET socket: refused.
    const claim = await execIn(docker, x!.id, ['arping', '-c', '1', '-U', '-s', ipOf(y!, plain), '-I', 'eth0', ipOf(y!, plain)]);
    assert.notEqual(claim.code, 0);
    assert.match(claim.output, /arping: socket: Operation not permitted/);
    const ping = await execIn(docker, x!.id, ['ping', '-c', '1', '-W', '1', ipOf(y!, plain)]);
    assert.notEqual(ping.code, 0);
    assert.match(ping.output, /permission denied/);
    // The capability is what stops it: given back (admin only), the same socket opens and y answers.
    const raw = await core.eru(['deploy', '--pod', pod, '--app', 'web', '--entry', 'raw', '--image', BASE_IMAGE, '--node', x!.node, '--cpu', '0.1', '--network', plain, '--cap-add', 'NET_RAW', '--', 'sleep', '600']);
    assert.equal(raw.code, 0, raw.stderr);
    const [withRaw] = await workloads('&entry=raw');
    const arping = await execIn(docker, withRaw!.id, ['arping', '-c', '1', '-w', '3', '-I', 'eth0', ipOf(y!, plain)]);
    assert.equal(arping.code, 0, arping.output);
    for (const w of [withRaw!, x!, y!]) assert.equal((await core.eru(['rm', w.id])).code, 0);
  });

  it('the pool: a held fixed address is refused with its holder, an exhausted pool before anything is made, rm while held', async () => {
    const [x] = await workloads('&entry=site');
    assert.equal(x!.node, 'a');
    const before = (await eruContainers(dockers.get('a')!, pod)).length + (await eruContainers(dockers.get('b')!, pod)).length;
    const held = await core.eru(['deploy', '--pod', pod, '--app', 'web', '--entry', 'fixed', '--image', BASE_IMAGE, '--cpu', '0.1', '--network', `${plain}:${ipOf(x!, plain)}`, '--', 'sleep', '600']);
    assert.equal(held.code, 1);
    assert.match(held.stderr, new RegExp(`address ${ipOf(x!, plain).replace(/\./g, '\\.')} of network ${plain} is held by ${x!.id} on a`));
    const api = await core.api<{ code: string }>('POST', '/v1/workloads', { pod, app: 'web', entry: 'fixed', image: BASE_IMAGE, command: ['true'], cpu: 0.1, count: 1, networks: [{ name: plain, addresses: [ipOf(x!, plain)] }] });
    assert.deepEqual([api.status, api.body.code], [409, 'CONFLICT']);
    // 31 addresses in the range, one held: 30 free.
    const exhausted = await core.eru(['deploy', '--pod', pod, '--app', 'web', '--entry', 'many', '--image', BASE_IMAGE, '--cpu', '0.01', '--count', '31', '--network', plain, '--', 'sleep', '600']);
    assert.equal(exhausted.code, 2);
    assert.match(exhausted.stderr, new RegExp(`network ${plain} has 30 free addresses; 31 asked`));
    const after = (await eruContainers(dockers.get('a')!, pod)).length + (await eruContainers(dockers.get('b')!, pod)).length;
    assert.equal(after, before, 'nothing was made');
    // Outside the network, or not handed out by it (the gateway): 400 with the path.
    const outside = await core.api<{ code: string; path: string }>('POST', '/v1/workloads', { pod, app: 'web', image: BASE_IMAGE, count: 1, cpu: 0.1, networks: [{ name: plain, addresses: ['10.232.0.5'] }] });
    assert.deepEqual([outside.status, outside.body.path], [400, 'networks.0.addresses.0']);
    const gateway = await core.api<{ code: string; message: string }>('POST', '/v1/workloads', { pod, app: 'web', image: BASE_IMAGE, count: 1, cpu: 0.1, networks: [{ name: plain, addresses: ['10.231.0.1'] }] });
    assert.equal(gateway.status, 400);
    const unknown = await core.api<{ code: string; path: string }>('POST', '/v1/workloads', { pod, app: 'web', image: BASE_IMAGE, count: 1, cpu: 0.1, networks: [{ name: 'nope' }] });
    assert.deepEqual([unknown.status, unknown.body.code, unknown.body.path], [404, 'NOT_FOUND', 'networks.0']);

    const shown = JSON.parse((await core.eru(['network', 'show', plain, '--json'])).stdout) as NetworkView;
    assert.deepEqual([shown.size, shown.used, shown.free], [31, 1, 30]);
    assert.deepEqual(shown.holders, [{ address: ipOf(x!, plain), workload: x!.id, node: 'a' }]);
    const rm = await core.eru(['network', 'rm', plain]);
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, new RegExp(`network ${plain} still has 1 address\\(es\\) held: ${ipOf(x!, plain).replace(/\./g, '\\.')} by ${x!.id}`));
  });

  it('connects a running workload to a network and disconnects it, through the store and then Docker', async () => {
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'web', '--entry', 'late', '--node', 'b', '--image', BASE_IMAGE, '--cpu', '0.1', '--', ...WEB]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const [late] = await workloads('&entry=late');
    const [x] = await workloads('&entry=site');
    const joined = await core.eru(['network', 'connect', late!.id, plain, '--ip', '10.231.0.33']);
    assert.equal(joined.code, 0, joined.stderr);
    assert.match(joined.stdout, /joined .* as 10\.231\.0\.33/);
    await eventually(async () => (await fetchFrom(x!, 'http://10.231.0.33:8080/')).output.trim() === late!.id, 15_000, 'the late joiner to answer on its address');
    const shown = (await core.api<NetworkView>('GET', `/v1/networks/${plain}`)).body;
    assert.ok(shown.holders.some((h) => h.address === '10.231.0.33' && h.workload === late!.id));
    assert.equal((await core.eru(['network', 'disconnect', late!.id, plain])).code, 0);
    const inspected = await dockers.get('b')!.getContainer(late!.id).inspect();
    assert.equal(inspected.NetworkSettings.Networks[plain], undefined, 'Docker disconnected it');
    assert.ok(!(await core.api<NetworkView>('GET', `/v1/networks/${plain}`)).body.holders.some((h) => h.address === '10.231.0.33'), 'the address is free again');
    const twice = await core.eru(['network', 'disconnect', late!.id, plain]);
    assert.equal(twice.code, 1);
  });

  it('--rate 10mbit: a transfer from the shaped container measures within 15% of the rate; unshaped is at least 5× faster', async () => {
    const serve = ['sh', '-c', 'mkdir -p /tmp/www && echo up > /tmp/www/index.html && dd if=/dev/zero of=/tmp/www/big bs=1M count=5 2>/dev/null && exec httpd -f -p 8080 -h /tmp/www'];
    for (const [entry, extra] of [['shaped', ['--rate', '10mbit']], ['free', []]] as const) {
      const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'qos', '--entry', entry, '--node', 'a', '--image', BASE_IMAGE, '--cpu', '0.2', '--network', plain, ...extra, '--', ...serve]);
      assert.equal(deployed.code, 0, deployed.stderr);
    }
    const client = (await core.eru(['deploy', '--pod', pod, '--app', 'qos', '--entry', 'client', '--node', 'b', '--image', BASE_IMAGE, '--cpu', '0.2', '--network', plain, '--', 'sleep', '600'])).code;
    assert.equal(client, 0);
    const [shaped] = (await core.api<Workload[]>('GET', `/v1/workloads?app=qos&entry=shaped`)).body;
    const [free] = (await core.api<Workload[]>('GET', `/v1/workloads?app=qos&entry=free`)).body;
    const [reader] = (await core.api<Workload[]>('GET', `/v1/workloads?app=qos&entry=client`)).body;
    // The agent shapes the interface and says so; inspect shows it.
    const applied = await eventually(async () => (await core.api<{ status: { qos?: string } | null }>('GET', `/v1/workloads/${shaped!.id}`)).body.status?.qos, 15_000, 'the agent to apply the rate');
    assert.match(applied, /^eth0: 10mbit$/);
    assert.match((await core.eru(['inspect', shaped!.id])).stdout, /rate\s+10mbit \(applied: eth0: 10mbit\)/);
    const seconds = async (from: Workload): Promise<number> => {
      await eventually(async () => (await execIn(dockers.get('b')!, reader!.id, ['wget', '-q', '-O', '/dev/null', `http://${ipOf(from, plain)}:8080/`])).code === 0, 15_000, 'the server to answer');
      const start = performance.now();
      const got = await execIn(dockers.get('b')!, reader!.id, ['wget', '-q', '-O', '/dev/null', `http://${ipOf(from, plain)}:8080/big`]);
      assert.equal(got.code, 0, got.output);
      return (performance.now() - start) / 1000;
    };
    const bits = 5 * 1024 * 1024 * 8;
    const shapedRate = bits / (await seconds(shaped!));
    const freeRate = bits / (await seconds(free!));
    console.log(`shaped at 10mbit: ${(shapedRate / 1e6).toFixed(2)} Mbit/s; unshaped: ${(freeRate / 1e6).toFixed(1)} Mbit/s`);
    assert.ok(Math.abs(shapedRate - 10e6) <= 0.15 * 10e6, `shaped transfer ran at ${(shapedRate / 1e6).toFixed(2)} Mbit/s`);
    assert.ok(freeRate >= 5 * shapedRate, `unshaped ${(freeRate / 1e6).toFixed(1)} Mbit/s is not 5× the shaped one`);
  });

  it('host mode: a workload binds a host port and answers on 127.0.0.1; nothing may be published or joined with it', async () => {
    const port = await freePort();
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', 'hosted', '--node', 'a', '--image', BASE_IMAGE, '--cpu', '0.1', '--network', 'host', '--', 'sh', '-c', `mkdir -p /tmp/www && echo host-mode > /tmp/www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /tmp/www`]);
    assert.equal(deployed.code, 0, deployed.stderr);
    const text = await eventually(async () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.text()).catch(() => undefined), 10_000, 'the host-mode server');
    assert.equal(text.trim(), 'host-mode');
    const [hosted] = (await core.api<Workload[]>('GET', '/v1/workloads?app=hosted')).body;
    assert.equal((await testDocker().getContainer(hosted!.id).inspect()).HostConfig.NetworkMode, 'host');
    assert.match((await core.eru(['ps', '--pod', pod])).stdout, new RegExp(`${hosted!.id}.* host$`, 'm'));
    const published = await core.eru(['deploy', '--pod', pod, '--app', 'hosted', '--image', BASE_IMAGE, '--network', 'host', '--publish', '8080:80', '--', 'true']);
    assert.equal(published.code, 1);
    assert.match(published.stderr, /publish: host mode: ports are the host's own/);
    const both = await core.api<{ path: string }>('POST', '/v1/workloads', { pod, app: 'hosted', image: BASE_IMAGE, count: 1, cpu: 0.1, hostNetwork: true, networks: [{ name: plain }] });
    assert.deepEqual([both.status, both.body.path], [400, 'networks']);
  });

  it('per-VLAN parents (IFACE.120, IFACE.130 on bridges the test builds; no 8021q here): the same subnet on both; each reaches its own neighbours, never the other', async () => {
    assert.equal((await core.eru(['network', 'add', red, '--subnet', '10.232.0.0/24', '--vlan', '120', '--pod', pod])).code, 0);
    // The same subnet is allowed on another VLAN only where it cannot meet red on a node: another pod.
    const clash = await core.eru(['network', 'add', blue, '--subnet', '10.232.0.0/24', '--vlan', '130', '--pod', pod]);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /overlaps network red-.* on the same nodes/);
    assert.equal((await core.eru(['network', 'add', blue, '--subnet', '10.232.0.0/24', '--vlan', '130', '--pod', vlanPod])).code, 0);
    const deploy = (inPod: string, entry: string, net: string, node: string, address: string) =>
      core.eru(['deploy', '--pod', inPod, '--app', 'vlan', '--entry', entry, '--node', node, '--image', BASE_IMAGE, '--cpu', '0.1', '--network', `${net}:${address}`, '--', ...WEB]);
    for (const [inPod, entry, net, node, address] of [
      [pod, 'r1', red, 'a', '10.232.0.11'],
      [pod, 'r2', red, 'b', '10.232.0.12'],
      [vlanPod, 'b1', blue, 'c', '10.232.0.21'],
      [vlanPod, 'b2', blue, 'c', '10.232.0.22'],
    ] as const) {
      const deployed = await deploy(inPod, entry, net, node, address);
      assert.equal(deployed.code, 0, deployed.stderr);
    }
    const all = (await core.api<Workload[]>('GET', '/v1/workloads?app=vlan')).body;
    const byEntry = (entry: string): Workload => all.find((w) => w.entry === entry)!;
    // Each on its VLAN's parent: IFACE.120 or IFACE.130 of its node.
    assert.equal((await dockers.get('a')!.getNetwork(red).inspect() as { Options: Record<string, string> }).Options.parent, `${l2.parent(1)}.120`);
    assert.equal((await dockers.get('c')!.getNetwork(blue).inspect() as { Options: Record<string, string> }).Options.parent, `${l2.parent(3)}.130`);
    const reaches = async (from: string, to: string): Promise<boolean> => (await fetchFrom(byEntry(from), `http://${ipOf(byEntry(to), byEntry(to).networks[0]!)}:8080/`)).output.trim() === byEntry(to).id;
    await eventually(() => reaches('r1', 'r2'), 15_000, 'VLAN 120 neighbours across nodes');
    assert.ok(await reaches('r2', 'r1'));
    await eventually(() => reaches('b1', 'b2'), 15_000, 'VLAN 130 neighbours');
    assert.equal(await reaches('r1', 'b1'), false, 'VLAN 120 reaches VLAN 130');
    assert.equal(await reaches('b2', 'r2'), false, 'VLAN 130 reaches VLAN 120');
  });

  it('refuses bad networks with the field\'s path, changing nothing', async () => {
    const before = (await core.api<NetworkView[]>('GET', '/v1/networks')).body.length;
    const bad: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'n1', subnet: '10.300.0.0/24' }, 400, 'subnet'],
      [{ name: 'n1', subnet: '10.240.0.1/24' }, 400, 'subnet'],
      [{ name: 'n1', subnet: '10.240.0.0/24', gateway: '10.241.0.1' }, 400, 'gateway'],
      [{ name: 'n1', subnet: '10.240.0.0/24', range: '10.240.0.10-10.240.1.5' }, 400, 'range'],
      [{ name: 'n1', subnet: '10.231.0.128/25', pods: [pod] }, 409, 'subnet'],
      [{ name: 'n1', subnet: '10.240.0.0/24', pods: [pod] }, 409, 'vlan'],
      [{ name: 'n1', subnet: '10.240.0.0/24', pods: ['no-such-pod'] }, 404, 'pods.0'],
      [{ name: 'Bad_Name', subnet: '10.240.0.0/24' }, 400, 'name'],
    ];
    for (const [body, status, path] of bad) {
      const answer = await core.api<{ path?: string }>('POST', '/v1/networks', body);
      assert.deepEqual([answer.status, answer.body.path], [status, path], JSON.stringify(body));
    }
    assert.equal((await core.api<NetworkView[]>('GET', '/v1/networks')).body.length, before);
    const parent = await core.eru(['node', 'set', 'b', '--macvlan-parent', 'nosuch0']);
    assert.equal(parent.code, 1);
    assert.match(parent.stderr, /macvlanParent: the Docker daemon of b cannot use interface nosuch0/);
  });
});
