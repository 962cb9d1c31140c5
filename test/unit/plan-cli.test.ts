import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runEru } from '../support/cli.js';

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
