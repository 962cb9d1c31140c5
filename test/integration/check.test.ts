import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import type { CheckReport } from '../../src/contract/check.js';
import { Repositories, put, del } from '../../src/core/repositories.js';
import type { Workload } from '../../src/model/workload.js';
import { openStore } from '../../src/store/index.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, freePort, tempDir } from '../../harness/core.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { L2Switch } from '../../harness/l2.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/**
 * `eru check [--repair]` against real Docker: each kind of drift made behind Eru's back — a container
 * Eru did not make, one removed under it, a ledger, an address and a host port edited in the store —
 * is named by the check, fixed by --repair (a leaked container only at the second pass), and the
 * check after is clean.
 */
describe('eru check: drift between the store and the hosts, found and repaired', () => {
  const tag = uniqueSuffix().slice(-4).replace(/[^a-z0-9]/g, 'c');
  const l2 = L2Switch.create(tag);
  const pod = `chk-${uniqueSuffix()}`;
  const node = `chk-${tag}`;
  const network = `chknet-${tag}`;
  const app = `chk${tag}`;
  const docker: Docker = testDocker();
  let core: CoreProcess;
  let agent: AgentProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let hostPort: number;
  const ghosts: string[] = [];

  before(async () => {
    dir = await tempDir('eru-check-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    assert.equal((await core.eru(['pod', 'add', pod])).code, 0);
    const added = await core.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--macvlan-parent', l2.plug(1)]);
    assert.equal(added.code, 0, added.stderr);
    const token = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    agent = new AgentProcess(core.url, node, token, dockerEndpoint());
    agent.start();
    assert.equal((await core.eru(['network', 'add', network, '--subnet', '10.239.0.0/24', '--pod', pod])).code, 0);
    hostPort = await freePort();
    // Not kept: the keeper would replace a lost instance itself; here the check's own repair is under test.
    const deployed = await core.eru(['deploy', '--pod', pod, '--app', app, '--entry', 'web', '--image', BASE_IMAGE, '--count', '2', '--cpu', '0.1', '--network', network, '--no-keep', '--', 'sleep', '3600']);
    assert.equal(deployed.code, 0, deployed.stderr);
    const published = await core.eru(['deploy', '--pod', pod, '--app', app, '--entry', 'port', '--image', BASE_IMAGE, '--count', '1', '--cpu', '0.1', '--publish', `127.0.0.1:${hostPort}:8080`, '--no-keep', '--', 'sleep', '3600']);
    assert.equal(published.code, 0, published.stderr);
    await eventually(async () => (await core.api<string[]>('GET', `/v1/nodes/${node}`)).status === 200, 10_000, 'the node');
  });
  after(async () => {
    await agent?.stop();
    await removePodContainers(docker, pod);
    for (const ghost of ghosts) await docker.getContainer(ghost).remove({ force: true }).catch(() => undefined);
    await docker.getNetwork(network).remove().catch(() => undefined);
    l2.remove();
    await core?.stop();
    await dir?.remove();
  });

  const check = async (...args: string[]): Promise<{ code: number; report: CheckReport }> => {
    const run = await core.eru(['--json', 'check', '--pod', pod, ...args]);
    if (!run.stdout.startsWith('{')) throw new Error(`eru check failed (${run.code}): ${run.stderr}`);
    return { code: run.code, report: JSON.parse(run.stdout) as CheckReport };
  };
  const workloads = async (): Promise<Workload[]> => (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`)).body;
  /** Edits the store while the core is stopped (the embedded store is the core's alone while it runs). */
  const behindEru = async (edit: (repos: Repositories) => Promise<void>): Promise<void> => {
    await core.stop();
    const store = openStore(core.store);
    try {
      await edit(new Repositories(store));
    } finally {
      await store.close();
    }
    await core.start();
    await eventually(async () => (await check().catch(() => null))?.report.nodes.includes(node), 20_000, 'the agent reporting again');
  };

  it('a clean pod is clean: exit 0, every kind counted 0', async () => {
    const { code, report } = await check();
    assert.deepEqual([code, report.findings, report.nodes], [0, [], [node]]);
    assert.deepEqual(Object.values(report.counts), [0, 0, 0, 0, 0, 0, 0]);
    const text = await core.eru(['check', '--pod', pod]);
    assert.match(text.stdout, /no drift: 1 node\(s\) compared with the store/);
  });

  it('a container made behind its back: named leaked; removed by --repair only at the second pass', async () => {
    const ghost = await docker.createContainer({ Image: BASE_IMAGE, Cmd: ['sleep', '3600'], Labels: { 'eru.managed': 'true', 'eru.node': node, 'eru.pod': pod, 'eru.workload': `${app}_web_ghost1` } });
    ghosts.push(ghost.id);
    await ghost.start();
    const first = await check('--repair');
    assert.equal(first.code, 1);
    const leaked = first.report.findings.filter((f) => f.kind === 'leaked');
    assert.deepEqual(leaked.map((f) => [f.subject, f.node, f.repaired, f.left]), [[ghost.id, node, undefined, 'seen leaked by this check only: removed when a later check still finds it']]);
    assert.equal((await ghost.inspect()).State.Running, true, 'not removed at the first sight');
    const second = await check('--repair');
    assert.deepEqual(second.report.findings.map((f) => [f.kind, f.repaired]), [['leaked', 'removed']]);
    assert.equal(second.code, 0, 'everything found was repaired');
    await assert.rejects(ghost.inspect(), (error: { statusCode?: number }) => error.statusCode === 404);
    assert.deepEqual((await check()).report.findings, []);
  });

  it('a container removed behind its back: named lost; --repair forgets it and gives back its cores, address and port', async () => {
    const [victim] = (await workloads()).filter((w) => w.entry === 'port');
    await docker.getContainer(victim!.containerId ?? victim!.id).remove({ force: true });
    const found = await check();
    assert.equal(found.code, 1);
    assert.deepEqual(found.report.findings.map((f) => [f.kind, f.subject]), [['lost', victim!.id]]);
    const repaired = await check('--repair');
    assert.deepEqual(repaired.report.findings.map((f) => [f.kind, f.repaired]), [['lost', 'forgotten: its cores, addresses and ports given back']]);
    assert.ok(!(await workloads()).some((w) => w.id === victim!.id), 'the record is gone');
    // Its port is free again: the same publish deploys.
    const again = await core.eru(['deploy', '--pod', pod, '--app', app, '--entry', 'port', '--image', BASE_IMAGE, '--count', '1', '--cpu', '0.1', '--publish', `127.0.0.1:${hostPort}:8080`, '--no-keep', '--', 'sleep', '3600']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((await check()).report.findings, []);
  });

  it('a ledger, an address and a host port edited in the store: named, repaired, clean after', async () => {
    const [a, b] = (await workloads()).filter((w) => w.entry === 'web');
    const [published] = (await workloads()).filter((w) => w.entry === 'port');
    await behindEru(async (repos) => {
      const ledger = (await repos.ledgers.get(node))!;
      const core0 = Object.keys(ledger.value.cpus)[0]!;
      await repos.commit([], [put(repos.ledgers.key(node), { ...ledger.value, cpus: { ...ledger.value.cpus, [core0]: ledger.value.cpus[core0]! - 7 } })]);
      // a's address no longer held; one held for a workload that does not exist; a port held for no one there.
      await repos.commit([], [del(repos.addresses.key(network, a!.addresses[0]!.address)), put(repos.addresses.key(network, '10.239.0.200'), { workload: `${app}_web_nobody`, node })]);
      await repos.commit([], [del(repos.ports.key(node, hostPort, 'tcp')), put(repos.ports.key(node, hostPort + 1, 'tcp'), { workload: `${app}_port_nobody`, node, address: '127.0.0.1' })]);
    });
    const found = await check();
    assert.equal(found.code, 1);
    const kinds = found.report.findings.map((f) => `${f.kind} ${f.subject}`).sort();
    // The deleted port key is back already: the core indexes its workloads' host ports when it starts.
    assert.deepEqual(kinds, [`address ${network}/${a!.addresses[0]!.address}`, `address ${network}/10.239.0.200`, `ledger ${node}`, `port ${node}/${hostPort + 1}-tcp`].sort());
    assert.match(found.report.findings.find((f) => f.kind === 'ledger')!.message, /the ledger says \d+ pieces free, its holders leave \d+/);
    const repaired = await check('--repair');
    assert.deepEqual(repaired.report.findings.filter((f) => !f.repaired), [], 'every one repaired');
    assert.equal(repaired.code, 0);
    assert.deepEqual((await check()).report.findings, [], 'clean after the repair');
    // A duplicate is named and never guessed: b made to claim a's address.
    await behindEru(async (repos) => {
      const record = (await repos.workloads.get(b!.id))!;
      await repos.commit([], [put(repos.workloads.key(b!.id), { ...record.value, addresses: [{ ...record.value.addresses[0]!, address: a!.addresses[0]!.address }] })]);
    });
    const doubled = await check('--repair');
    const duplicate = doubled.report.findings.find((f) => f.subject === `${network}/${a!.addresses[0]!.address}`);
    assert.match(duplicate?.message ?? '', /is claimed by 2 workloads/);
    assert.match(duplicate?.left ?? '', /never guessed/);
    assert.equal(doubled.code, 1, 'drift is left');
    assert.ok(published, 'the published instance is there');
    // Put b back as it was: then the repair holds its own address for it again, and all is clean.
    await behindEru(async (repos) => {
      const record = (await repos.workloads.get(b!.id))!;
      await repos.commit([], [put(repos.workloads.key(b!.id), { ...record.value, addresses: b!.addresses })]);
    });
    await check('--repair');
    assert.deepEqual((await check()).report.findings, [], 'clean once b has its own address back');
  });

  it('a snapshot restored into a new core on an empty store, then eru check --repair, meets what the hosts run', async () => {
    const file = `${dir.path}/snapshot.json`;
    const saved = await core.eru(['store', 'snapshot', 'save', file]);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /\d+ records of embedded:.* saved to/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    // After the snapshot: one instance more, one fewer.
    const [gone] = (await workloads()).filter((w) => w.entry === 'web');
    assert.equal((await core.eru(['rm', gone!.id])).code, 0);
    const before = (await workloads()).map((w) => w.id).sort();
    const more = await core.eru(['deploy', '--pod', pod, '--app', app, '--entry', 'web', '--image', BASE_IMAGE, '--count', '1', '--cpu', '0.1', '--no-keep', '--', 'sleep', '3600']);
    assert.equal(more.code, 0, more.stderr);
    const madeAfter = (await workloads()).map((w) => w.id).filter((id) => !before.includes(id));
    assert.equal(madeAfter.length, 1);
    await agent.stop();
    await core.stop();
    const notEmpty = await CoreProcess.start(core.store, ['--restore', file]).then(
      async (c) => {
        await c.stop();
        return '';
      },
      (error: Error) => error.message,
    );
    assert.match(notEmpty, /the store .* is not empty/, 'a restore never mixes two histories');
    core = await CoreProcess.start(`embedded:${dir.path}/restored.db`, ['--restore', file]);
    // The node's token came back with the snapshot: the same agent token works against the new core.
    agent = new AgentProcess(core.url, node, agent.token, dockerEndpoint());
    agent.start();
    await eventually(async () => (await check().catch(() => null))?.report.nodes.includes(node), 20_000, 'the agent reporting to the restored core');
    const found = await check();
    assert.deepEqual(found.report.findings.map((f) => f.kind).sort(), ['leaked', 'lost'], JSON.stringify(found.report.findings));
    await check('--repair');
    const second = await check('--repair');
    assert.equal(second.code, 0, JSON.stringify(second.report.findings));
    assert.deepEqual((await check()).report.findings, [], 'clean after the repair');
    // What is recorded is what runs: the snapshot's records less the one removed since; the one made since went as leaked.
    assert.deepEqual((await workloads()).map((w) => w.id).sort(), before);
    await assert.rejects(docker.getContainer(madeAfter[0]!).inspect(), (error: { statusCode?: number }) => error.statusCode === 404);
  });
});
