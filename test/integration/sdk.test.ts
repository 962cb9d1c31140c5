import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { EruClient, type Transport } from 'eru-client';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { uniqueSuffix } from '../../harness/services.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Routes the SDK leaves to others, each with why. */
const NOT_IN_THE_SDK: Record<string, string> = {
  // Node-only streams: eru-client/node has them over Node's own HTTP (as it has attachExec, for the exec upgrade the document leaves out).
  'GET /v1/workloads/{id}/archive': 'eru-client/node downloadArchive',
  'PUT /v1/workloads/{id}/archive': 'eru-client/node uploadArchive',
  'POST /v1/apps/{app}/builds/local': 'eru-client/node buildBundle',
  // Called by the git host (GitHub, GitLab) on a push, signed with the app's secret: not a client's call.
  'POST /v1/hooks/git/{app}': 'the git host',
};

/** Every (method, path) the client's methods call, each called once with placeholder arguments through a transport that only records. */
async function clientOperations(): Promise<Set<string>> {
  const called = new Set<string>();
  const recording: Transport = async ({ method, url }) => {
    called.add(`${method} ${new URL(url).pathname}`);
    const path = new URL(url).pathname;
    const body = method === 'GET' && path.endsWith('/logs') ? '' : path === '/v1/events' ? '{"id":"e","type":"pod.created","time":"","data":{}}\n' : '{"type":"result","ok":true,"workloads":[]}\n';
    return { status: 200, headers: {}, body: (async function* () { yield new TextEncoder().encode(body); })() };
  };
  const client = new EruClient({ url: 'http://127.0.0.1:1', token: 't', transport: recording });
  // Names and references first; bodies, options and callbacks left to their defaults.
  const placeholder = (n: number): unknown[] => Array.from({ length: n }, (_, i) => (i === 0 ? 'x' : i === 1 ? 'y' : undefined));
  const call = async (fn: (...args: unknown[]) => unknown, self: unknown): Promise<void> => {
    const result = fn.apply(self, placeholder(fn.length));
    if (result && typeof (result as AsyncGenerator)[Symbol.asyncIterator] === 'function') for await (const _ of result as AsyncGenerator) break;
    else await Promise.resolve(result).catch(() => undefined);
  };
  const generic = new Set(['request', 'call', 'collect', 'stream', 'follow', 'pages', 'all', 'constructor']);
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(client))) {
    const member = (client as unknown as Record<string, unknown>)[name];
    if (!generic.has(name) && typeof member === 'function') await call(member as (...args: unknown[]) => unknown, client);
  }
  for (const group of Object.values(client as unknown as Record<string, unknown>)) {
    if (!group || typeof group !== 'object' || Array.isArray(group)) continue;
    for (const member of Object.values(group as Record<string, unknown>)) if (typeof member === 'function') await call(member as (...args: unknown[]) => unknown, group);
  }
  // Once more with nothing given: a method whose path depends on an optional argument (nodes.list without a pod).
  for (const group of Object.values(client as unknown as Record<string, unknown>)) {
    if (!group || typeof group !== 'object' || Array.isArray(group)) continue;
    for (const member of Object.values(group as Record<string, unknown>)) if (typeof member === 'function') await call((...args: unknown[]) => (member as (...a: unknown[]) => unknown).apply(group, args.map(() => undefined)), group).catch(() => undefined);
  }
  return called;
}

describe('eru-client: the SDK covers the API, and installs alone', () => {
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  before(async () => {
    dir = await tempDir('eru-sdk-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  });
  after(async () => {
    await core?.stop();
    await dir?.remove();
  });

  it('every operation of the OpenAPI document has a client method (a few Node-only streams aside, in eru-client/node)', async () => {
    const document = (await core.api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json')).body;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path })));
    assert.ok(operations.length > 60, `the document has ${operations.length} operations`);
    const called = [...(await clientOperations())];
    const matches = (op: { method: string; path: string }, call: string): boolean => {
      const [method, path] = call.split(' ') as [string, string];
      return method === op.method && new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path);
    };
    // A call covers the most specific operation it matches: POST .../rollouts/undo is not also .../rollouts/{action}.
    const params = (path: string): number => path.split('{').length - 1;
    const covered = new Set<string>();
    const unknown: string[] = [];
    for (const call of called) {
      const best = operations.filter((op) => matches(op, call)).sort((a, b) => params(a.path) - params(b.path))[0];
      if (best) covered.add(best.key);
      else unknown.push(call);
    }
    const missing = operations.filter((op) => !NOT_IN_THE_SDK[op.key] && !covered.has(op.key)).map((op) => op.key);
    assert.deepEqual(missing, [], 'operations no client method calls');
    assert.deepEqual(unknown, [], 'client calls the API does not document');
    for (const key of Object.keys(NOT_IN_THE_SDK)) assert.ok(operations.some((op) => op.key === key), `${key} is still an operation`);
  });

  it('its packed tarball installs into an empty project with nothing else, type-checks without zod, and calls a live core', async () => {
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', dir.path, '--workspace', 'eru-client'], { cwd: root, encoding: 'utf8' });
    const tarball = join(dir.path, (JSON.parse(packed) as Array<{ filename: string }>)[0]!.filename);
    const project = join(dir.path, 'team-project');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'team-project', version: '1.0.0', type: 'module', private: true }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, encoding: 'utf8' });
    const installed = readdirSync(join(project, 'node_modules')).filter((n) => !n.startsWith('.'));
    assert.deepEqual(installed, ['eru-client'], 'one package installed, no dependency');
    const size = (path: string): number => (statSync(path).isDirectory() ? readdirSync(path).reduce((sum, n) => sum + size(join(path, n)), 0) : statSync(path).size);
    const bytes = size(join(project, 'node_modules'));
    console.log(`eru-client installed: ${installed.length} package, ${(bytes / 1024).toFixed(0)} KiB`);
    assert.ok(bytes < 2 * 1024 * 1024, `${bytes} bytes installed`);

    const pod = `sdk-${uniqueSuffix()}`;
    writeFileSync(
      join(project, 'main.ts'),
      `import { EruClient, EruError, type Pod } from 'eru-client';
declare const process: { env: Record<string, string | undefined> };
const eru = new EruClient({ url: process.env.ERU_URL!, token: process.env.ERU_TOKEN });
const made: Pod = await eru.pods.create({ name: '${pod}', description: 'from an installed eru-client', sharebase: 100 });
const listed = (await eru.pods.list()).map((p: Pod) => p.name);
let refused = '';
try {
  await eru.pods.create({ name: 'Not A Label', sharebase: 100 });
} catch (error) {
  if (error instanceof EruError) refused = error.code + ' ' + String(error.path);
}
console.log(JSON.stringify({ made: made.name, listed: listed.includes('${pod}'), refused }));
`,
    );
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: [] }, include: ['main.ts'] }));
    // The types ship in the package: the project type-checks with no zod and no @types (a wrong field would fail here).
    try {
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: project, encoding: 'utf8' });
    } catch (error) {
      assert.fail(`the team's project does not type-check against eru-client: ${(error as { stdout?: string }).stdout ?? String(error)}`);
    }
    const out = execFileSync(process.execPath, [join(project, 'out', 'main.js')], { cwd: project, encoding: 'utf8', env: { ...process.env, ERU_URL: core.url, ERU_TOKEN: TEST_TOKEN } });
    assert.deepEqual(JSON.parse(out), { made: pod, listed: true, refused: 'INVALID_ARGUMENT name' });
    assert.equal((await core.api('DELETE', `/v1/pods/${pod}`)).status < 300, true);
  });
});
