import assert from 'node:assert/strict';
import { parseMemory } from '../../src/lib/units.js';
import { after, describe, it } from 'node:test';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { openStore } from '../../src/store/index.js';
import { dockerEndpoint, etcdAddress, uniqueSuffix } from '../../harness/services.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('eru core as a process', () => {
  it('restarted on the same embedded file, has all its pods and nodes (after SIGTERM and after SIGKILL)', async () => {
    const dir = await tempDir('eru-restart-');
    cleanups.push(dir.remove);
    const store = `embedded:${dir.path}/eru.db`;
    let core = await CoreProcess.start(store);
    cleanups.push(() => core.stop());
    assert.equal((await core.eru(['pod', 'add', 'keep', '--sharebase', '1000'])).code, 0);
    const added = await core.eru(['node', 'add', 'keep', 'box', '--endpoint', dockerEndpoint(), '--cpu', '1', '--label', 'a=b']);
    assert.equal(added.code, 0, added.stderr);

    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      await core.stop(signal);
      core = new CoreProcess(store, core.port);
      await core.start();
      const pod = await core.api<{ sharebase: number; nodeCount: number }>('GET', '/v1/pods/keep');
      assert.deepEqual([pod.status, pod.body.sharebase, pod.body.nodeCount], [200, 1000, 1], `after ${signal}`);
      const node = await core.api<{ labels: Record<string, string>; cpuMap: unknown[] }>('GET', '/v1/nodes/box');
      assert.deepEqual([node.status, node.body.labels, node.body.cpuMap.length], [200, { a: 'b' }, 1], `after ${signal}`);
    }
  });

  it('checks every ledger at start-up: drift is logged per node and counted in /metrics, not repaired', async () => {
    const dir = await tempDir('eru-drift-');
    cleanups.push(dir.remove);
    const store = `embedded:${dir.path}/eru.db`;
    let core = await CoreProcess.start(store);
    cleanups.push(() => core.stop());
    assert.equal((await core.eru(['pod', 'add', 'drift', '--sharebase', '10'])).code, 0);
    assert.equal((await core.eru(['node', 'add', 'drift', 'box', '--endpoint', dockerEndpoint(), '--cpu', '1'])).code, 0);
    const clean = await fetch(`${core.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.text());
    assert.match(clean, /^eru_core_ledger_drift_total 0$/m, 'a consistent store has no drift');
    await core.stop();
    // A lost write: core 0 shows 3 pieces taken that no workload holds.
    const raw = openStore(store);
    const key = '/eru/ledgers/box';
    const ledger = JSON.parse((await raw.get(key))!.value) as { cpus: Record<string, number> };
    await raw.put(key, JSON.stringify({ ...ledger, cpus: { '0': 7 } }));
    await raw.close();
    core = new CoreProcess(store, core.port);
    await core.start();
    assert.match(core.log, /"node":"box".*core 0: the ledger says 7 pieces free, its holders leave 10.*the ledger of a node differs from what its workloads hold/);
    assert.match(await fetch(`${core.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.text()), /^eru_core_ledger_drift_total 1$/m);
    assert.equal((await core.api<{ cpuMap: Array<{ free: number }> }>('GET', '/v1/nodes/box')).body.cpuMap[0]!.free, 7, 'reported, not repaired behind anyone\'s back');
  });

  it('refuses to open an embedded file another running core owns', async () => {
    const dir = await tempDir('eru-lock-');
    cleanups.push(dir.remove);
    const store = `embedded:${dir.path}/eru.db`;
    const first = await CoreProcess.start(store);
    cleanups.push(() => first.stop());
    await assert.rejects(CoreProcess.start(store), /in use by process/);
  });

  it('refuses a registry or a bind root it cannot use, naming the option, before it opens anything', async () => {
    const dir = await tempDir('eru-opts-');
    cleanups.push(dir.remove);
    const store = `embedded:${dir.path}/eru.db`;
    await assert.rejects(CoreProcess.start(store, ['--registry', 'not a host:5000']), /registry: cannot read "not a host:5000" \(HOST:PORT of a registry/);
    await assert.rejects(CoreProcess.start(store, ['--bind-root', '/']), /bind-root: "\/" is not an absolute directory below \//);
    await assert.rejects(CoreProcess.start(store, ['--bind-root', 'relative/dir']), /bind-root: "relative\/dir"/);
    const started = await CoreProcess.start(store, ['--registry', '127.0.0.1:5000', '--bind-root', '/srv/apps/']);
    cleanups.push(() => started.stop());
  });

  it('two cores against one etcd see each other’s pods and nodes at once', async () => {
    const store = `etcd://${etcdAddress()}`;
    const [a, b] = await Promise.all([CoreProcess.start(store), CoreProcess.start(store)]);
    cleanups.push(() => a.stop(), () => b.stop());
    const pod = `shared-${uniqueSuffix()}`;
    assert.equal((await a.eru(['pod', 'add', pod])).code, 0);
    const seen = await b.api<{ name: string }>('GET', `/v1/pods/${pod}`);
    assert.equal(seen.status, 200);
    const node = `n-${uniqueSuffix()}`;
    const added = await b.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint(), '--memory', '1GiB']);
    assert.equal(added.code, 0, added.stderr);
    const listed = await a.api<Array<{ name: string }>>('GET', `/v1/pods/${pod}/nodes`);
    assert.deepEqual(listed.body.map((n) => n.name), [node]);
    // A duplicate through the other core is refused: the store, not the process, decides.
    const again = await a.eru(['node', 'add', pod, node, '--endpoint', dockerEndpoint()]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal((await a.eru(['node', 'rm', node])).code, 0);
    assert.equal((await b.eru(['pod', 'rm', pod])).code, 0);
    assert.equal((await a.api('GET', `/v1/pods/${pod}`)).status, 404);
  });

  it('adding the same node through two cores at once lands exactly once', async () => {
    const store = `etcd://${etcdAddress()}`;
    const [a, b] = await Promise.all([CoreProcess.start(store), CoreProcess.start(store)]);
    cleanups.push(() => a.stop(), () => b.stop());
    const pod = `race-${uniqueSuffix()}`;
    await a.api('POST', '/v1/pods', { name: pod });
    const body = { name: `racer-${uniqueSuffix()}`, endpoint: dockerEndpoint(), cpu: 1 };
    const results = await Promise.all([a, b, a, b].map((core) => core.api('POST', `/v1/pods/${pod}/nodes`, body)));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409]);
    const podAfter = await a.api<{ nodeCount: number }>('GET', `/v1/pods/${pod}`);
    assert.equal(podAfter.body.nodeCount, 1);
    await a.api('DELETE', `/v1/nodes/${body.name}`);
    await a.api('DELETE', `/v1/pods/${pod}`);
  });
});

describe('eru CLI against a core', () => {
  it('shows a node’s CPU map, prints JSON for scripts, and fails with a one-line reason', async () => {
    const dir = await tempDir('eru-cli-');
    cleanups.push(dir.remove);
    const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    cleanups.push(() => core.stop());
    assert.equal((await core.eru(['pod', 'add', 'cli', '--sharebase', '10', '--desc', 'from the CLI'])).code, 0);
    const add = await core.eru(['node', 'add', 'cli', 'local', '--endpoint', dockerEndpoint(), '--cpus', '0-1', '--memory', '2GiB']);
    assert.equal(add.code, 0, add.stderr);
    const added = /node local added to pod cli: (\d+) cores, (\S+)$/m.exec(add.stdout);
    assert.ok(added, add.stdout);
    assert.deepEqual([Number(added[1]), parseMemory(added[2], ['memory'])], [2, 2 * 1024 ** 3]);

    const show = await core.eru(['node', 'show', 'local']);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /CPU map \(sharebase 10/);
    assert.match(show.stdout, /^0\s+10\s+0\s+free/m);
    assert.match(show.stdout, /^1\s+10\s+0\s+free/m);

    const json = JSON.parse((await core.eru(['node', 'ls', 'cli', '--json'])).stdout) as Array<{ name: string; resources: { cpuFree: number } }>;
    assert.deepEqual(json.map((n) => [n.name, n.resources.cpuFree]), [['local', 2]]);

    const set = await core.eru(['node', 'set', 'local', '--label', 'ssd=yes', '--bypass', '--json']);
    assert.deepEqual((JSON.parse(set.stdout) as { labels: unknown; bypass: boolean }).bypass, true);

    const bad = await core.eru(['node', 'add', 'cli', 'other', '--endpoint', dockerEndpoint(), '--cpus', '0,x']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /cpus: "x" is not a core id/);

    const refused = await core.eru(['pod', 'rm', 'cli']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^eru: pod cli still has 1 node\(s\): local; remove them first$/m);

    const unreachable = await core.eru(['node', 'add', 'cli', 'gone', '--endpoint', 'unix:///nonexistent.sock']);
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /the Docker daemon at unix:\/\/\/nonexistent\.sock does not answer/);

    const noCore = await core.eru(['--url', 'http://127.0.0.1:9', 'pod', 'ls']);
    assert.equal(noCore.code, 1);
    assert.match(noCore.stderr, /cannot reach the core at http:\/\/127\.0\.0\.1:9/);
  });
});
