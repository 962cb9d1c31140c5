import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { ERU_BIN, runEru } from '../../harness/cli.js';

describe('eru plan', () => {
  let dir: string;
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'eru-plan-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  const scenario = `
sharebase: 10
nodes:
  - name: node-1
    cpu: 16
    memory: 64GiB
  - name: node-2
    cpus: {"0": 10, "1": 4}
deploy:
  cpu: 1.5
  memory: 512MiB
  count: 2
`;

  it('prints the documented JSON: capacity per node and placements with cpuset and memory', async () => {
    const result = await runEru(['plan', await file('ok.yaml', scenario), '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), {
      capacity: { total: 10, nodes: { 'node-1': 10, 'node-2': 0 } },
      placements: [
        { node: 'node-1', cpuset: { '0': 10, '15': 5 }, memory: 536870912 },
        { node: 'node-1', cpuset: { '1': 10, '15': 5 }, memory: 536870912 },
      ],
    });
  });

  it('prints a table for people, with why each node is limited', async () => {
    const result = await runEru(['plan', await file('table.yaml', scenario)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /node-2\s+0\s+cpu: no room for 1 whole cores plus a 5-piece fragment/);
    assert.match(result.stdout, /node-1\s+0:10,15:5\s+512MiB/);
  });

  it('names a held host port as the reason a node is left out, and places one instance per node', async () => {
    const ports = `
nodes:
  - {name: a, cpu: 4, ports: {"8080/tcp": web_main_x1y2z3}}
  - {name: b, cpu: 4}
  - {name: c, cpu: 4}
deploy: {cpu: 0.5, count: 2, ports: ["8080/tcp"]}
`;
    const table = await runEru(['plan', await file('ports.yaml', ports)]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^a\s+0\s+host port 8080\/tcp is held by web_main_x1y2z3$/m);
    assert.match(table.stdout, /^b\s+1\s+one instance per node: it publishes host port 8080\/tcp$/m);
    const json = JSON.parse((await runEru(['plan', await file('ports.yaml', ports), '--json'])).stdout) as { capacity: { total: number }; placements: Array<{ node: string }> };
    assert.equal(json.capacity.total, 2);
    assert.deepEqual(json.placements.map((p) => p.node).sort(), ['b', 'c']);
    // A third instance has no node left: refused, naming the held port.
    const three = await runEru(['plan', await file('three.yaml', ports.replace('count: 2', 'count: 3'))]);
    assert.equal(three.code, 2);
    assert.match(three.stderr, /a: 0 more: host port 8080\/tcp is held by web_main_x1y2z3/);
  });

  it('reads JSON from standard input; placements are empty for a capacity-only run', async () => {
    const json = JSON.stringify({ nodes: [{ name: 'a', cpu: 4 }], deploy: { cpu: 0.5, bind: false } });
    const result = await runEru(['plan', '-', '--json'], { input: json });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { capacity: { total: 8, nodes: { a: 8 } }, placements: [] });
  });

  it('unbound placements carry no cpuset', async () => {
    const json = JSON.stringify({ nodes: [{ name: 'a', cpu: 4 }], deploy: { cpu: 0.5, bind: false, count: 1 } });
    const result = await runEru(['plan', '-', '--json'], { input: json });
    assert.deepEqual(JSON.parse(result.stdout).placements, [{ node: 'a', memory: 0 }]);
  });

  it('exits 2 with the reason on stderr when the scenario cannot be placed', async () => {
    const result = await runEru(['plan', await file('full.yaml', scenario.replace('count: 2', 'count: 11'))]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /pod scenario can place 10 more of cpu=1.5 memory=512MiB bound; 11 asked/);
    assert.match(result.stderr, /node-2: 0 more/);
    assert.equal(result.stdout, '');
  });

  it('maxshare holds when fragments fill a shared core (the issue\'s repro): capacity 2, one shared core', async () => {
    const repro = 'sharebase: 10\nmaxshare: 1\nnodes:\n  - {name: n, cpu: 2}\ndeploy: {cpu: 0.5, count: 2}\n';
    const result = await runEru(['plan', await file('maxshare.yaml', repro), '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), { capacity: { total: 2, nodes: { n: 2 } }, placements: [{ node: 'n', cpuset: { '1': 5 }, memory: 0 }, { node: 'n', cpuset: { '1': 5 }, memory: 0 }] });
    const four = await runEru(['plan', await file('maxshare4.yaml', repro.replace('count: 2', 'count: 4'))]);
    assert.equal(four.code, 2);
    assert.match(four.stderr, /can place 2 more of cpu=0.5 bound; 4 asked/);
    assert.match(four.stderr, /n: 2 more: cpu: maxshare 1 reached \(1 shared cores\)/);
    // A core the scenario says is shared (filled up by fragments) counts too; 1.5 may not split another.
    const filled = 'sharebase: 10\nmaxshare: 1\nnodes:\n  - {name: n, cpus: {"0": 10, "1": 10, "2": 0}, shared: [2]}\ndeploy: {cpu: 1.5, count: 1}\n';
    const refused = await runEru(['plan', await file('filled.yaml', filled)]);
    assert.equal(refused.code, 2, refused.stdout);
    assert.match(refused.stderr, /maxshare 1 reached/);
    const unshared = await runEru(['plan', await file('unshared.yaml', filled.replace(', shared: [2]', '')), '--json']);
    assert.deepEqual(JSON.parse(unshared.stdout).placements, [{ node: 'n', cpuset: { '0': 10, '1': 5 }, memory: 0 }]);
  });

  it('FILL and AUTO limit through eru plan', async () => {
    const nodes = 'nodes:\n  - {name: a, cpu: 4, count: 2}\n  - {name: b, cpu: 4}\n  - {name: c, cpu: 4, count: 1}\n';
    const filled = await runEru(['plan', '-', '--json'], { input: `${nodes}deploy: {cpu: 1, count: 2, strategy: FILL, limit: 1}` });
    assert.equal(filled.code, 0, filled.stderr);
    assert.deepEqual(JSON.parse(filled.stdout).placements, []);
    const table = await runEru(['plan', '-'], { input: `${nodes}deploy: {cpu: 1, count: 2, strategy: FILL, limit: 1}` });
    assert.match(table.stdout, /already filled: 1 node\(s\) hold 2 or more \(a\); limit 1/);
    const two = await runEru(['plan', '-', '--json'], { input: `${nodes}deploy: {cpu: 1, count: 2, strategy: FILL, limit: 2}` });
    assert.deepEqual(JSON.parse(two.stdout).placements.map((p: { node: string }) => p.node), ['c']);
    const auto = await runEru(['plan', '-', '--json'], { input: `${nodes}deploy: {cpu: 1, count: 3, limit: 2}` });
    assert.deepEqual(JSON.parse(auto.stdout).placements.map((p: { node: string }) => p.node), ['b', 'b', 'c']);
    const over = await runEru(['plan', '-'], { input: `${nodes}deploy: {cpu: 1, count: 4, limit: 2}` });
    assert.equal(over.code, 2);
    assert.match(over.stderr, /with at most 2 per node the pod can take 3 more; 4 asked/);
    const global = await runEru(['plan', '-'], { input: `${nodes}deploy: {cpu: 1, count: 1, strategy: GLOBAL, limit: 2}` });
    assert.equal(global.code, 1);
    assert.match(global.stderr, /deploy\.limit: limit has no meaning for GLOBAL/);
  });

  it('ends quietly when its reader stops early (eru plan … | head)', async () => {
    const many = { nodes: Array.from({ length: 400 }, (_, i) => ({ name: `node-${i}`, cpu: 16 })), deploy: { cpu: 0.5, count: 6000 } };
    const child = spawn(process.execPath, [ERU_BIN, 'plan', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(JSON.stringify(many));
    // Like `head -2`: read a little, then close the pipe while eru is still writing.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '', 'no stack trace, no message');
    assert.equal(code, 0);
  });

  const bad: Array<[string, string, RegExp]> = [
    ['a cpu finer than the sharebase', scenario.replace('cpu: 1.5', 'cpu: 1.55'), /deploy\.cpu: cpu 1\.55 is not a multiple of 0\.1/],
    ['an unknown strategy', scenario.replace('count: 2', 'count: 2\n  strategy: SPREAD'), /deploy\.strategy: /],
    ['EACH without a count', scenario.replace('count: 2', 'strategy: EACH'), /deploy\.count: EACH needs a count/],
    ['cpu 0 with bind', scenario.replace('cpu: 1.5', 'cpu: 0'), /deploy\.cpu: a bound workload needs cpu > 0/],
    ['negative memory', scenario.replace('memory: 512MiB', 'memory: -5'), /deploy\.memory: /],
    ['an unreadable memory size', scenario.replace('memory: 64GiB', 'memory: lots'), /nodes\.0\.memory: cannot read memory size "lots"/],
    ['a node without cores', 'nodes: [{name: a}]\ndeploy: {cpu: 1}', /nodes\.0: give either cpu/],
    ['no nodes', 'nodes: []\ndeploy: {cpu: 1}', /nodes: a scenario needs at least one node/],
    ['a missing deploy', 'nodes: [{name: a, cpu: 1}]', /deploy: /],
    ['a duplicate node', 'nodes: [{name: a, cpu: 1}, {name: a, cpu: 2}]\ndeploy: {cpu: 1}', /nodes\.1\.name: node name "a" appears twice/],
    ['more free pieces than a core has', 'sharebase: 10\nnodes: [{name: a, cpus: {"0": 11}}]\ndeploy: {cpu: 1}', /nodes\.0\.cpus\.0: 11 pieces free/],
    ['an unknown field', scenario.replace('count: 2', 'count: 2\n  cpus: 3'), /deploy: .*cpus/],
    ['a wrong type', scenario.replace('count: 2', 'count: two'), /deploy\.count: /],
    ['an unknown sharebase', `sharebase: 7\n${scenario.replace('sharebase: 10', '')}`, /sharebase: /],
    ['a shared core the node lacks', 'nodes: [{name: a, cpu: 2, shared: [4]}]\ndeploy: {cpu: 1}', /nodes\.0\.shared\.0: core 4 is not one of the node's cores/],
    ['a shared core that is wholly free', 'sharebase: 10\nnodes: [{name: a, cpu: 2, shared: [1]}]\ndeploy: {cpu: 1}', /nodes\.0\.shared\.0: core 1 is wholly free/],
    ['a limit with DRAINED', scenario.replace('count: 2', 'count: 2\n  strategy: DRAINED\n  limit: 1'), /deploy\.limit: limit has no meaning for DRAINED/],
    ['a NUMA core the node lacks', 'nodes: [{name: a, cpu: 2, numa: {"0": ["5"]}}]\ndeploy: {cpu: 1}', /nodes\.0\.numa\.0\.0: core 5/],
    ['text that is not YAML', 'nodes: [unclosed', /not valid YAML or JSON/],
  ];
  for (const [what, text, message] of bad) {
    it(`exits 1 on ${what}`, async () => {
      const result = await runEru(['plan', await file('bad.yaml', text)]);
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.split('\n').filter(Boolean).length, 1, 'one line');
    });
  }

  it('exits 1 when the file does not exist', async () => {
    const result = await runEru(['plan', join(dir, 'missing.yaml')]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot read scenario .*missing\.yaml: ENOENT/);
  });
});
