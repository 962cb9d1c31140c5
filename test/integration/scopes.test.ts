import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Workload } from '../../src/model/workload.js';
import type { AuditEntry } from '../../src/contract/audit.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { deployViaApi, resultOf } from '../../harness/deploy.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, uniqueSuffix } from '../../harness/services.js';

/**
 * Who may do what, tried against every route of the OpenAPI document: each scope (admin, viewer,
 * deployer for one app, node) calls each route; what it may do is not refused (the call goes on to
 * answer 2xx, 400 for an empty body, 404 for a name that is not there), the rest is 403. The table
 * below is the expected access written out here, not read from the core: a route the document has and
 * the table lacks fails the test.
 */
type Scope = 'admin' | 'viewer' | 'deployer' | 'node';
type Access = 'read' | 'admin' | 'node' | 'app' | 'public';
interface Row {
  /** As the OpenAPI document names it: METHOD /v1/path/{param}. */
  route: string;
  access: Access;
  /** The concrete call (for `app`: one of the deployer's app, one of another's). */
  calls: Array<{ path: string; body?: unknown; app?: 'mine' | 'theirs'; node?: 'own' | 'other' }>;
}

describe('scopes: each token scope against every route of the API', () => {
  const tag = uniqueSuffix().replace(/[^a-z0-9]/g, 'x');
  const pod = `sc-${tag}`;
  const node = `sc-node-${tag}`;
  const mine = `mine${tag.slice(-6)}`;
  const theirs = `theirs${tag.slice(-6)}`;
  const docker = testDocker();
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const tokens = new Map<Scope, string>([['admin', TEST_TOKEN]]);
  const ids: Record<string, string> = {};

  const appYaml = (app: string): string => JSON.stringify({ appname: app, base: 'local/busybox:1', entrypoints: { main: { cmd: 'sleep 600' } } });
  const sha = 'a'.repeat(40);
  const noExec = 'f'.repeat(64);

  before(async () => {
    dir = await tempDir('eru-scopes-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    assert.equal((await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 })).status, 201);
    assert.equal((await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint() })).status, 201);
    for (const app of [mine, theirs]) {
      for (const name of ['keep', 'gone']) {
        const deployed = resultOf((await deployViaApi(core, { pod, app, entry: name, image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.01, count: 1, env: { SECRET: 'hunter2' } })).events);
        assert.ok(deployed?.ok);
        ids[`${app}-${name}`] = deployed.workloads[0]!.id;
      }
    }
    const issue = async (body: unknown): Promise<string> => (await core.api<{ token: string }>('POST', '/v1/tokens', body)).body.token;
    tokens.set('viewer', await issue({ name: 'the-dashboard', scope: 'viewer' }));
    tokens.set('deployer', await issue({ name: 'mine-ci', scope: 'deployer', apps: [mine] }));
    tokens.set('node', (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token);
  });
  after(async () => {
    await removePodContainers(docker, pod);
    await core?.stop();
    await dir?.remove();
  });

  const app = (which: 'mine' | 'theirs'): string => (which === 'mine' ? mine : theirs);
  const rows = (): Row[] => {
    const keep = (which: 'mine' | 'theirs'): string => ids[`${app(which)}-keep`]!;
    const both = (build: (which: 'mine' | 'theirs') => { path: string; body?: unknown }): Row['calls'] => (['mine', 'theirs'] as const).map((which) => ({ ...build(which), app: which }));
    return [
      { route: 'GET /v1/pods', access: 'read', calls: [{ path: '/v1/pods' }] },
      { route: 'POST /v1/pods', access: 'admin', calls: [{ path: '/v1/pods', body: {} }] },
      { route: 'GET /v1/pods/{pod}', access: 'read', calls: [{ path: `/v1/pods/${pod}` }] },
      { route: 'PATCH /v1/pods/{pod}', access: 'admin', calls: [{ path: '/v1/pods/nopod', body: {} }] },
      { route: 'DELETE /v1/pods/{pod}', access: 'admin', calls: [{ path: '/v1/pods/nopod' }] },
      { route: 'GET /v1/pods/{pod}/map', access: 'read', calls: [{ path: `/v1/pods/${pod}/map` }] },
      { route: 'POST /v1/pods/{pod}/capacity', access: 'read', calls: [{ path: `/v1/pods/${pod}/capacity`, body: { cpu: 0.1 } }] },
      { route: 'GET /v1/pods/{pod}/nodes', access: 'read', calls: [{ path: `/v1/pods/${pod}/nodes` }] },
      { route: 'POST /v1/pods/{pod}/nodes', access: 'admin', calls: [{ path: '/v1/pods/nopod/nodes', body: {} }] },
      { route: 'GET /v1/nodes', access: 'read', calls: [{ path: '/v1/nodes' }] },
      { route: 'GET /v1/nodes/{node}', access: 'read', calls: [{ path: `/v1/nodes/${node}` }] },
      { route: 'PATCH /v1/nodes/{node}', access: 'admin', calls: [{ path: '/v1/nodes/nonode', body: {} }] },
      { route: 'DELETE /v1/nodes/{node}', access: 'admin', calls: [{ path: '/v1/nodes/nonode' }] },
      { route: 'POST /v1/nodes/{node}/drain', access: 'admin', calls: [{ path: '/v1/nodes/nonode/drain', body: {} }] },
      { route: 'DELETE /v1/nodes/{node}/drain', access: 'admin', calls: [{ path: '/v1/nodes/nonode/drain' }] },
      { route: 'POST /v1/workloads', access: 'app', calls: both((w) => ({ path: '/v1/workloads', body: { pod: 'nopod', app: app(w), image: BASE_IMAGE, count: 1 } })) },
      { route: 'GET /v1/workloads', access: 'read', calls: [{ path: '/v1/workloads' }] },
      { route: 'GET /v1/workloads/{id}', access: 'read', calls: [{ path: `/v1/workloads/${keep('theirs')}` }] },
      { route: 'DELETE /v1/workloads/{id}', access: 'app', calls: both((w) => ({ path: `/v1/workloads/${ids[`${app(w)}-gone`]}` })) },
      { route: 'POST /v1/workloads/{id}/{action}', access: 'app', calls: both((w) => ({ path: `/v1/workloads/${keep(w)}/start` })) },
      { route: 'POST /v1/workloads/{id}/resize', access: 'app', calls: both((w) => ({ path: `/v1/workloads/${keep(w)}/resize`, body: { cpu: 0.01 } })) },
      { route: 'GET /v1/workloads/{id}/logs', access: 'read', calls: [{ path: `/v1/workloads/${keep('theirs')}/logs` }] },
      { route: 'GET /v1/intents', access: 'read', calls: [{ path: '/v1/intents' }] },
      { route: 'POST /v1/jobs', access: 'app', calls: both((w) => ({ path: '/v1/jobs', body: { pod: 'nopod', app: app(w), image: BASE_IMAGE } })) },
      { route: 'GET /v1/events', access: 'read', calls: [{ path: '/v1/events' }] },
      { route: 'POST /v1/nodes/{node}/tokens', access: 'admin', calls: [{ path: '/v1/nodes/nonode/tokens', body: {} }] },
      { route: 'POST /v1/nodes/{node}/heartbeat', access: 'node', calls: [{ path: `/v1/nodes/${node}/heartbeat`, body: {}, node: 'own' }, { path: '/v1/nodes/other/heartbeat', body: {}, node: 'other' }] },
      { route: 'POST /v1/nodes/{node}/status', access: 'node', calls: [{ path: `/v1/nodes/${node}/status`, body: { workloads: [] }, node: 'own' }, { path: '/v1/nodes/other/status', body: { workloads: [] }, node: 'other' }] },
      { route: 'GET /v1/tokens', access: 'admin', calls: [{ path: '/v1/tokens' }] },
      { route: 'POST /v1/tokens', access: 'admin', calls: [{ path: '/v1/tokens', body: {} }] },
      { route: 'DELETE /v1/tokens/{name}', access: 'admin', calls: [{ path: '/v1/tokens/nonesuch' }] },
      { route: 'GET /v1/audit', access: 'admin', calls: [{ path: '/v1/audit' }] },
      { route: 'POST /v1/check', access: 'admin', calls: [{ path: '/v1/check', body: { pod } }] },
      { route: 'GET /v1/store/snapshot', access: 'admin', calls: [{ path: '/v1/store/snapshot' }] },
      { route: 'GET /v1/cores', access: 'read', calls: [{ path: '/v1/cores' }] },
      { route: 'POST /v1/apps/versions', access: 'app', calls: both((w) => ({ path: '/v1/apps/versions', body: { sha, repo: '/nowhere', appYaml: appYaml(app(w)) } })) },
      { route: 'GET /v1/apps', access: 'read', calls: [{ path: '/v1/apps' }] },
      { route: 'GET /v1/apps/{app}', access: 'read', calls: [{ path: `/v1/apps/${theirs}` }] },
      { route: 'GET /v1/apps/{app}/versions', access: 'read', calls: [{ path: `/v1/apps/${theirs}/versions` }] },
      { route: 'GET /v1/apps/{app}/activities', access: 'read', calls: [{ path: `/v1/apps/${theirs}/activities` }] },
      { route: 'GET /v1/apps/{app}/volumes', access: 'read', calls: [{ path: `/v1/apps/${theirs}/volumes` }] },
      { route: 'DELETE /v1/apps/{app}/volumes/{name}', access: 'admin', calls: [{ path: `/v1/apps/${mine}/volumes/nope` }] },
      { route: 'POST /v1/apps/{app}/builds', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/builds`, body: {} })) },
      { route: 'POST /v1/apps/{app}/builds/local', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/builds/local?pod=${pod}&sha=${sha}`, body: {} })) },
      { route: 'GET /v1/apps/{app}/pipeline', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/pipeline` })) },
      { route: 'PUT /v1/apps/{app}/pipeline', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/pipeline`, body: {} })) },
      // Signed with the app's secret instead of a token (401 unsigned): any token, or none, is the same to it.
      { route: 'POST /v1/hooks/git/{app}', access: 'public', calls: both((w) => ({ path: `/v1/hooks/git/${app(w)}`, body: {} })) },
      { route: 'PUT /v1/apps/{app}/env/{env}', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/env/prod`, body: {} })) },
      { route: 'GET /v1/apps/{app}/env/{env}', access: 'read', calls: [{ path: `/v1/apps/${theirs}/env/prod` }] },
      { route: 'POST /v1/images/base', access: 'admin', calls: [{ path: '/v1/images/base', body: {} }] },
      { route: 'POST /v1/images/cache', access: 'admin', calls: [{ path: '/v1/images/cache', body: {} }] },
      { route: 'POST /v1/networks', access: 'admin', calls: [{ path: '/v1/networks', body: {} }] },
      { route: 'GET /v1/networks', access: 'read', calls: [{ path: '/v1/networks' }] },
      { route: 'GET /v1/networks/{network}', access: 'read', calls: [{ path: '/v1/networks/nonet' }] },
      { route: 'DELETE /v1/networks/{network}', access: 'admin', calls: [{ path: '/v1/networks/nonet' }] },
      { route: 'POST /v1/workloads/{id}/networks', access: 'admin', calls: [{ path: `/v1/workloads/${keep('mine')}/networks`, body: {} }] },
      { route: 'DELETE /v1/workloads/{id}/networks/{network}', access: 'admin', calls: [{ path: `/v1/workloads/${keep('mine')}/networks/nonet` }] },
      { route: 'GET /v1/apps/{app}/endpoints', access: 'read', calls: [{ path: `/v1/apps/${theirs}/endpoints` }] },
      { route: 'GET /v1/services', access: 'read', calls: [{ path: '/v1/services' }] },
      { route: 'PUT /v1/services', access: 'app', calls: both((w) => ({ path: '/v1/services', body: { services: [{ app: app(w), pod: 'nopod', entry: 'main', image: BASE_IMAGE, count: 0, cpu: 0 }], dryRun: true } })) },
      { route: 'PUT /v1/apps/{app}/entries/{entry}/scale', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/entries/keep/scale`, body: {} })) },
      { route: 'POST /v1/apps/{app}/entries/{entry}/resize', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/entries/keep/resize`, body: {} })) },
      { route: 'POST /v1/apps/{app}/entries/{entry}/replace', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/entries/keep/replace`, body: {} })) },
      { route: 'GET /v1/apps/{app}/entries/{entry}/rollouts', access: 'read', calls: [{ path: `/v1/apps/${theirs}/entries/keep/rollouts` }] },
      { route: 'POST /v1/apps/{app}/entries/{entry}/rollouts/undo', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/entries/keep/rollouts/undo`, body: {} })) },
      { route: 'POST /v1/apps/{app}/entries/{entry}/rollouts/{action}', access: 'app', calls: both((w) => ({ path: `/v1/apps/${app(w)}/entries/keep/rollouts/pause`, body: {} })) },
      { route: 'POST /v1/workloads/{id}/exec', access: 'admin', calls: [{ path: `/v1/workloads/${keep('mine')}/exec`, body: {} }] },
      { route: 'POST /v1/nodes/{node}/exec/{exec}/resize', access: 'admin', calls: [{ path: `/v1/nodes/${node}/exec/${noExec}/resize`, body: {} }] },
      { route: 'GET /v1/nodes/{node}/exec/{exec}', access: 'admin', calls: [{ path: `/v1/nodes/${node}/exec/${noExec}` }] },
      { route: 'GET /v1/workloads/{id}/archive/stat', access: 'admin', calls: [{ path: `/v1/workloads/${keep('mine')}/archive/stat` }] },
      { route: 'GET /v1/workloads/{id}/archive', access: 'admin', calls: [{ path: `/v1/workloads/${keep('mine')}/archive` }] },
      { route: 'PUT /v1/workloads/{id}/archive', access: 'admin', calls: [{ path: `/v1/workloads/${keep('mine')}/archive` }] },
    ];
  };

  /** Whether a scope may make a call, by the table. */
  const may = (scope: Scope, access: Access, call: Row['calls'][number]): boolean => {
    if (scope === 'admin') return true;
    switch (access) {
      case 'read':
        return scope !== 'node';
      case 'admin':
        return false;
      case 'node':
        return scope === 'node' && call.node === 'own';
      case 'app':
        return scope === 'deployer' && call.app === 'mine';
      case 'public':
        return true;
    }
  };

  /** The status of a call; a stream is cut off once its status is in. */
  const statusOf = async (scope: Scope, method: string, call: Row['calls'][number]): Promise<number> => {
    const abort = new AbortController();
    try {
      const response = await fetch(`${core.url}${call.path}`, {
        method,
        headers: { authorization: `Bearer ${tokens.get(scope)}`, ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        signal: abort.signal,
      });
      return response.status;
    } finally {
      abort.abort();
    }
  };

  it('every route of the OpenAPI document is in the table, and each scope is refused (403) exactly where the table says', async () => {
    const document = (await core.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json')).body;
    const documented = Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)).sort();
    const table = rows();
    assert.deepEqual(table.map((r) => r.route).sort(), documented, 'the table and the document name the same routes');
    const wrong: string[] = [];
    let calls = 0;
    // Admin last: its calls may change what the others' found (a removal).
    for (const scope of ['viewer', 'node', 'deployer', 'admin'] as const) {
      for (const row of table) {
        const method = row.route.split(' ')[0]!;
        for (const call of row.calls) {
          const status = await statusOf(scope, method, call);
          calls++;
          const allowed = may(scope, row.access, call);
          if (allowed ? status === 403 || status === 401 : status !== 403) wrong.push(`${scope} ${method} ${call.path}: ${status}, expected ${allowed ? 'not refused' : '403'}`);
        }
      }
    }
    console.log(`scopes: ${calls} calls over ${table.length} routes`);
    assert.deepEqual(wrong, []);
  });

  it('a deployer may not ask for what is the host\'s: host paths, a user, the host network, a 0.0.0.0 publish, capabilities', async () => {
    const deployer = tokens.get('deployer')!;
    for (const [field, extra] of [
      ['volumes', { volumes: ['/etc:/host-etc'] }],
      ['user', { user: '0' }],
      ['hostNetwork', { hostNetwork: true }],
      ['publish.0', { publish: ['0.0.0.0:8080:80'] }],
      ['capAdd', { capAdd: ['NET_RAW'] }],
    ] as const) {
      const refused = await core.api<{ code: string; path: string; message: string }>('POST', '/v1/workloads', { pod, app: mine, image: BASE_IMAGE, count: 1, cpu: 0.01, ...extra }, deployer);
      assert.deepEqual([refused.status, refused.body.code, refused.body.path], [403, 'FORBIDDEN', field], JSON.stringify(refused.body));
    }
    // The same deploy without them runs.
    const ok = await core.api('POST', '/v1/workloads', { pod, app: mine, entry: 'ci', image: BASE_IMAGE, command: ['sleep', '60'], count: 1, cpu: 0.01 }, deployer);
    assert.equal(ok.status, 200);
  });

  it('env values are seen by admin only: a viewer and a deployer see the names', async () => {
    const id = ids[`${mine}-keep`]!;
    for (const scope of ['viewer', 'deployer'] as const) {
      const shown = await core.api<{ workload: Workload }>('GET', `/v1/workloads/${id}`, undefined, tokens.get(scope)!);
      assert.deepEqual(shown.body.workload.env, { SECRET: '(hidden)' });
      const listed = await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}`, undefined, tokens.get(scope)!);
      assert.ok(!JSON.stringify(listed.body).includes('hunter2'), `${scope} sees a value in the list`);
      assert.ok(!JSON.stringify((await core.api('GET', '/v1/services', undefined, tokens.get(scope)!)).body).includes('hunter2'));
    }
    assert.deepEqual((await core.api<{ workload: Workload }>('GET', `/v1/workloads/${id}`)).body.workload.env, { SECRET: 'hunter2' });
  });

  it('tokens are listed without their secrets, revoked at once, and expire', async () => {
    const listed = await core.eru(['--json', 'token', 'ls']);
    const names = (JSON.parse(listed.stdout) as Array<{ name: string; scope: string }>).map((t) => `${t.name}:${t.scope}`);
    assert.ok(names.includes('the-dashboard:viewer') && names.includes('mine-ci:deployer') && names.some((n) => n.startsWith(`node.${node}.`)), names.join(' '));
    assert.ok(!listed.stdout.includes(tokens.get('viewer')!), 'no secret in the list');
    const added = await core.eru(['token', 'add', 'short-lived', '--scope', 'viewer', '--expires', '1s']);
    assert.equal(added.code, 0, added.stderr);
    const secret = added.stdout.trim();
    assert.equal((await core.api('GET', '/v1/pods', undefined, secret)).status, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const expired = await core.api<{ message: string }>('GET', '/v1/pods', undefined, secret);
    assert.equal(expired.status, 401);
    assert.match(expired.body.message, /token short-lived expired at /);
    assert.equal((await core.eru(['token', 'rm', 'the-dashboard'])).code, 0);
    assert.equal((await core.api('GET', '/v1/pods', undefined, tokens.get('viewer')!)).status, 401, 'revoked at once');
  });

  it('the audit: every change with its token, what, when and the outcome; refusals too; eru audit narrows by app, token and time', async () => {
    const audit = async (...args: string[]): Promise<AuditEntry[]> => {
      const result = await core.eru(['--json', 'audit', '--limit', '10000', ...args]);
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as AuditEntry[];
    };
    const entries = await audit();
    const find = (token: string, action: string, outcome: string, where: (e: AuditEntry) => boolean = () => true): AuditEntry | undefined =>
      entries.find((e) => e.token === token && e.action === action && e.outcome === outcome && where(e));
    // The deployer's deploy of its own app (the test above), and its refusal for another's.
    const deployed = find('mine-ci', 'POST /v1/workloads', 'ok', (e) => e.target.entry === 'ci');
    assert.deepEqual([deployed?.scope, deployed?.app, deployed?.status, deployed?.target.pod], ['deployer', mine, 200, pod], JSON.stringify(deployed));
    const refused = find('mine-ci', 'POST /v1/apps/:app/builds', 'refused', (e) => e.app === theirs);
    assert.deepEqual([refused?.status, refused?.error?.code], [403, 'FORBIDDEN'], JSON.stringify(refused));
    // A viewer trying a change: refused, and kept.
    assert.ok(find('the-dashboard', 'POST /v1/pods', 'refused'), 'the viewer’s refused change');
    // A deploy that failed in its stream: the result's error is the outcome (no such pod).
    const failed = find('mine-ci', 'POST /v1/workloads', 'refused', (e) => e.target.pod === 'nopod' && e.app === mine);
    assert.equal(failed?.error?.code, 'NOT_FOUND', JSON.stringify(failed));
    // Token changes and a copy out of a container, by the admin.
    assert.ok(find('admin', 'DELETE /v1/tokens/:name', 'ok', (e) => e.target.name === 'the-dashboard'), 'the revocation');
    assert.ok(find('admin', 'GET /v1/workloads/:id/archive', 'refused') ?? find('admin', 'GET /v1/workloads/:id/archive', 'ok'), 'the copy out');
    // Reads are not kept; env values never are.
    assert.ok(!entries.some((e) => e.action.startsWith('GET /v1/pods')), 'a read in the audit');
    assert.ok(!JSON.stringify(entries).includes('hunter2'), 'an env value in the audit');
    // Newest first; narrowed by app, by token, by time.
    assert.deepEqual(entries.map((e) => e.id), entries.map((e) => e.id).sort().reverse());
    const theirsOnly = await audit('--app', theirs);
    assert.ok(theirsOnly.length > 0 && theirsOnly.every((e) => e.app === theirs));
    const byViewer = await audit('--by', 'the-dashboard');
    assert.ok(byViewer.length > 0 && byViewer.every((e) => e.token === 'the-dashboard'));
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await core.api('POST', '/v1/pods', { name: `late-${tag}` })).status, 201);
    const recent = await eventuallyAudit(() => audit('--since', '1s'), (list) => list.some((e) => e.target.name === `late-${tag}`));
    assert.deepEqual(recent.map((e) => `${e.action} ${e.target.name}`), [`POST /v1/pods late-${tag}`]);
    const table = await core.eru(['audit', '--since', '1m', '--app', mine]);
    assert.match(table.stdout, /^TIME\s+TOKEN\s+ACTION\s+TARGET\s+APP\s+OUTCOME/);
    assert.match(table.stdout, /mine-ci \(deployer\)\s+POST \/v1\/workloads\s+.*entry=ci.*\s+ok 200/);
  });
});

/** The audit is written just after each answer: wait for the entry asked for. */
async function eventuallyAudit(read: () => Promise<AuditEntry[]>, done: (list: AuditEntry[]) => boolean): Promise<AuditEntry[]> {
  for (let i = 0; i < 50; i++) {
    const list = await read();
    if (done(list)) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
  return read();
}
