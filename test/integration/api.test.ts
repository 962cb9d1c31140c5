import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { dockerEndpoint } from '../../harness/services.js';

/** POSTs a large body the way curl does: asking first (Expect: 100-continue), so a 413 comes before the upload. */
async function postEarlyAnswer(url: string, body: string): Promise<{ status: number; body: string }> {
  const file = join(tmpdir(), `eru-big-${process.pid}.json`);
  await writeFile(file, body);
  try {
    const { stdout } = await execFileAsync('curl', [
      '-s', '--max-time', '30', '-H', `authorization: Bearer ${TEST_TOKEN}`, '-H', 'content-type: application/json', '-H', 'Expect: 100-continue',
      '--data-binary', `@${file}`, '-w', '\n%{http_code}', url,
    ]);
    const newline = stdout.lastIndexOf('\n');
    return { status: Number(stdout.slice(newline + 1)), body: stdout.slice(0, newline) };
  } finally {
    await rm(file, { force: true });
  }
}

interface ApiError {
  code: string;
  message: string;
  path?: string;
}

describe('core API: pods and nodes on the embedded store, against the local Docker daemon', () => {
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const docker = dockerEndpoint();

  before(async () => {
    dir = await tempDir('eru-api-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
  });
  after(async () => {
    await core?.stop();
    await dir?.remove();
  });

  const expectError = async (
    method: string,
    path: string,
    body: unknown,
    status: number,
    code: string,
    fieldPath?: string,
  ): Promise<ApiError> => {
    const result = await core.api<ApiError>(method, path, body);
    assert.equal(result.status, status, JSON.stringify(result.body));
    assert.equal(result.body.code, code, JSON.stringify(result.body));
    assert.equal(typeof result.body.message, 'string');
    if (fieldPath !== undefined) assert.equal(result.body.path, fieldPath, JSON.stringify(result.body));
    return result.body;
  };

  it('answers /healthz without a token, and nothing else', async () => {
    assert.equal((await core.api('GET', '/healthz', undefined, null)).status, 200);
    const missing = await core.api<ApiError>('GET', '/v1/pods', undefined, null);
    assert.deepEqual([missing.status, missing.body.code], [401, 'UNAUTHENTICATED']);
    const wrong = await core.api<ApiError>('GET', '/v1/pods', undefined, 'not-the-token');
    assert.deepEqual([wrong.status, wrong.body.code], [401, 'UNAUTHENTICATED']);
  });

  it('serves an OpenAPI document generated from the request schemas', async () => {
    const doc = (await core.api<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } }>> }>('GET', '/openapi.json', undefined, null)).body;
    assert.equal(doc.openapi, '3.1.0');
    for (const path of ['/v1/pods', '/v1/pods/{pod}', '/v1/pods/{pod}/nodes', '/v1/nodes/{node}']) assert.ok(doc.paths[path], path);
    const podBody = doc.paths['/v1/pods']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(Object.keys(podBody.properties).sort(), ['defaultMemory', 'description', 'maxshare', 'name', 'pidsLimit', 'sharebase']);
    assert.ok(doc.paths['/v1/nodes/{node}']!.patch);
  });

  it('adds, lists, shows pods; refuses duplicates', async () => {
    const created = await core.api<{ name: string; sharebase: number; maxshare: number }>('POST', '/v1/pods', { name: 'p1', sharebase: 10 });
    assert.equal(created.status, 201);
    assert.deepEqual([created.body.name, created.body.sharebase, created.body.maxshare], ['p1', 10, -1]);
    await expectError('POST', '/v1/pods', { name: 'p1' }, 409, 'CONFLICT');
    const list = await core.api<Array<{ name: string }>>('GET', '/v1/pods');
    assert.deepEqual(list.body.map((p) => p.name), ['p1']);
    await expectError('GET', '/v1/pods/nope', undefined, 404, 'NOT_FOUND');
  });

  const badPods: Array<[string, unknown, string]> = [
    ['a missing name', { sharebase: 10 }, 'name'],
    ['a name that is not a DNS label', { name: 'Bad_Name' }, 'name'],
    ['a wrong type', { name: 'p2', sharebase: 'ten' }, 'sharebase'],
    ['an unknown sharebase', { name: 'p2', sharebase: 7 }, 'sharebase'],
    ['a maxshare below -1', { name: 'p2', maxshare: -2 }, 'maxshare'],
    ['an unknown field', { name: 'p2', colour: 'red' }, ''],
    ['a body that is not an object', [1, 2], ''],
  ];
  for (const [what, body, field] of badPods) {
    it(`rejects a pod with ${what} (400, path "${field}")`, async () => {
      await expectError('POST', '/v1/pods', body, 400, 'INVALID_ARGUMENT', field || undefined);
    });
  }

  it('rejects malformed JSON, oversized bodies, bad path parameters and unknown query parameters with 4xx', async () => {
    await expectError('POST', '/v1/pods', '{"name": ', 400, 'INVALID_JSON');
    const huge = JSON.stringify({ name: 'big', description: 'x'.repeat(2 * 1024 * 1024) });
    const tooLarge = await postEarlyAnswer(`${core.url}/v1/pods`, huge);
    assert.deepEqual([tooLarge.status, (JSON.parse(tooLarge.body) as ApiError).code], [413, 'BODY_TOO_LARGE']);
    assert.equal((await core.api('GET', '/v1/pods/big')).status, 404);
    await expectError('GET', '/v1/pods/Not_A_Pod', undefined, 400, 'INVALID_ARGUMENT', 'params.pod');
    await expectError('GET', '/v1/nowhere', undefined, 404, 'NOT_FOUND');
    // A misspelt filter is refused rather than ignored (which would list everything).
    await expectError('GET', '/v1/workloads?entrypoint=web', undefined, 400, 'INVALID_ARGUMENT', 'query');
  });

  it('adds the local Docker daemon as a node, with CPUs and memory from its info', async () => {
    const added = await core.api<{ name: string; cpus: string[]; memory: number; engine: { cpus: number; memory: number }; cpuMap: Array<{ core: string; free: number; state: string }>; tls: boolean }>(
      'POST',
      '/v1/pods/p1/nodes',
      { name: 'n1', endpoint: docker, labels: { zone: 'a' } },
    );
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.cpus.length, added.body.engine.cpus);
    assert.equal(added.body.memory, added.body.engine.memory);
    assert.deepEqual(added.body.cpuMap[0], { core: '0', free: 10, used: 0, state: 'free', fragments: 0 });
    assert.equal(added.body.tls, false);
    const pod = await core.api<{ nodeCount: number }>('GET', '/v1/pods/p1');
    assert.equal(pod.body.nodeCount, 1);
  });

  it('refuses node input it cannot honour, naming the field', async () => {
    await expectError('POST', '/v1/pods/ghost/nodes', { name: 'x', endpoint: docker }, 404, 'NOT_FOUND');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n1', endpoint: docker }, 409, 'CONFLICT');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2', endpoint: docker, cpus: ['0', '999'] }, 400, 'INVALID_ARGUMENT', 'cpus.1');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2', endpoint: docker, cpu: 1, cpus: ['0'] }, 400, 'INVALID_ARGUMENT', 'cpus');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2', endpoint: docker, memory: '100TiB' }, 400, 'INVALID_ARGUMENT', 'memory');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2', endpoint: 'http://x' }, 400, 'INVALID_ARGUMENT', 'endpoint');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2', endpoint: docker, numa: { '0': ['7'] }, cpus: ['0'] }, 400, 'INVALID_ARGUMENT', 'numa.0.0');
    await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2' }, 400, 'INVALID_ARGUMENT', 'endpoint');
    const unreachable = await expectError('POST', '/v1/pods/p1/nodes', { name: 'n2', endpoint: 'unix:///nonexistent/docker.sock' }, 400, 'ENGINE_UNREACHABLE', 'endpoint');
    assert.match(unreachable.message, /does not answer/);
    const nodes = await core.api<unknown[]>('GET', '/v1/pods/p1/nodes');
    assert.equal(nodes.body.length, 1, 'no half-added node');
  });

  it('changes labels, bypass and declared resources; refuses to remove a pod with nodes', async () => {
    const patched = await core.api<{ labels: Record<string, string>; bypass: boolean; cpus: string[]; memory: number }>('PATCH', '/v1/nodes/n1', {
      labels: { ssd: 'yes', zone: null },
      bypass: true,
      cpus: ['0'],
      memory: '1GiB',
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.labels, { ssd: 'yes' });
    assert.equal(patched.body.bypass, true);
    assert.deepEqual(patched.body.cpus, ['0']);
    assert.equal(patched.body.memory, 1024 ** 3);
    await expectError('PATCH', '/v1/nodes/n1', { colour: 1 }, 400, 'INVALID_ARGUMENT');
    await expectError('PATCH', '/v1/nodes/n1', { cpus: ['0', '999'] }, 400, 'INVALID_ARGUMENT', 'cpus');
    await expectError('PATCH', '/v1/nodes/ghost', { bypass: false }, 404, 'NOT_FOUND');
    await expectError('DELETE', '/v1/pods/p1', undefined, 409, 'CONFLICT');
  });

  it('removes a node, then its pod', async () => {
    assert.equal((await core.api('DELETE', '/v1/nodes/n1')).status, 200);
    await expectError('GET', '/v1/nodes/n1', undefined, 404, 'NOT_FOUND');
    assert.equal((await core.api('DELETE', '/v1/pods/p1')).status, 200);
    await expectError('DELETE', '/v1/pods/p1', undefined, 404, 'NOT_FOUND');
  });

  it('never answers 5xx to whatever a user sends', async () => {
    const anything = fc.oneof(
      fc.jsonValue(),
      fc.record({ name: fc.string(), sharebase: fc.jsonValue(), maxshare: fc.jsonValue(), description: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record({ name: fc.string(), endpoint: fc.string(), cpus: fc.jsonValue(), cpu: fc.jsonValue(), memory: fc.jsonValue(), numa: fc.jsonValue() }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/v1/pods', '/v1/pods/fuzz/nodes', '/v1/nodes/fuzz'), anything, async (path, body) => {
        const method = path === '/v1/nodes/fuzz' ? 'PATCH' : 'POST';
        const result = await core.api(method, path, body);
        assert.ok(result.status < 500, `${method} ${path} ${JSON.stringify(body)} → ${result.status} ${JSON.stringify(result.body)}`);
      }),
      { numRuns: 150 },
    );
    // Clean what the fuzzing may have created.
    for (const pod of (await core.api<Array<{ name: string }>>('GET', '/v1/pods')).body) await core.api('DELETE', `/v1/pods/${pod.name}`);
  });

  it('rejects the admin token nowhere and accepts no other', async () => {
    assert.equal((await core.api('GET', '/v1/nodes', undefined, TEST_TOKEN)).status, 200);
    assert.equal((await core.api('GET', '/v1/nodes', undefined, `${TEST_TOKEN}x`)).status, 401);
  });
});
