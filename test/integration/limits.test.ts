import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { EruClient } from 'eru-client';
import type { OutputLine } from '../../src/contract/events.js';
import type { NodeView } from '../../src/contract/nodes.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, TEST_TOKEN, tempDir } from '../../harness/core.js';
import { deployViaApi, resultOf } from '../../harness/deploy.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/** A raw HTTP/1.1 connection: what it was answered and when the core closed it. */
function rawConnection(port: number): { socket: Socket; answer: () => string; closedAt: Promise<number> } {
  const socket = connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  return { socket, answer: () => answer, closedAt };
}

function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
}

/** The most memory a process has held so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

const MiB = 1024 * 1024;

describe('limits: what a core takes from any one client, and bounded memory for what workloads print', () => {
  const cleanups: Array<() => Promise<void>> = [];
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('eru-limits-');
    cleanups.push(dir.remove);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  async function startCore(name: string, extra: string[] = []): Promise<CoreProcess> {
    const core = await CoreProcess.start(`embedded:${dir.path}/${name}.db`, extra);
    cleanups.push(() => core.stop());
    return core;
  }

  it('cuts off a client that trickles its body, and checks the token before reading one', async () => {
    const core = await startCore('slow', ['--request-timeout', '2s']);
    // 200 bytes promised, one sent every half second: the whole would take 100 s.
    const slow = rawConnection(core.port);
    const started = Date.now();
    slow.socket.write(`POST /v1/pods HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n`);
    let sent = 0;
    const trickle = setInterval(() => {
      if (slow.socket.destroyed) return;
      slow.socket.write(' ');
      sent++;
    }, 500);
    const closed = await slow.closedAt;
    clearInterval(trickle);
    const seconds = (closed - started) / 1000;
    console.log(`slow body: cut off after ${seconds.toFixed(1)} s, ${sent} of 200 bytes sent; answered ${statusOf(slow.answer())}`);
    assert.equal(statusOf(slow.answer()), 408, slow.answer());
    assert.match(slow.answer(), /REQUEST_TIMEOUT/);
    // The deadline is 2 s plus a second per MiB declared (none here): not the 100 s the body would take.
    assert.ok(seconds >= 1.5 && seconds < 6, `cut off after ${seconds} s`);
    assert.ok(sent < 200, 'the body was still arriving');

    // No token, a large body promised and none sent: refused at once, before a byte of it is read.
    for (const [headers, status] of [
      ['', 401],
      ['Authorization: Bearer not-a-token\r\n', 401],
    ] as const) {
      const early = rawConnection(core.port);
      const asked = Date.now();
      early.socket.write(`POST /v1/pods HTTP/1.1\r\nHost: x\r\n${headers}Content-Type: application/json\r\nContent-Length: 500000\r\n\r\n`);
      await eventually(async () => statusOf(early.answer()) !== 0, 5_000, 'an answer before the body');
      assert.equal(statusOf(early.answer()), status, early.answer());
      assert.ok(Date.now() - asked < 1_500, `answered after ${Date.now() - asked} ms`);
      early.socket.destroy();
    }
    // A deployer's token for another app: 403 from the path, before the body is read.
    const other = (await core.api<{ token: string }>('POST', '/v1/tokens', { name: `d-${uniqueSuffix()}`, scope: 'deployer', apps: ['mine'] })).body.token;
    const forbidden = rawConnection(core.port);
    forbidden.socket.write(`POST /v1/apps/theirs/builds HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${other}\r\nContent-Type: application/json\r\nContent-Length: 500000\r\n\r\n`);
    await eventually(async () => statusOf(forbidden.answer()) !== 0, 5_000, 'an answer before the body');
    assert.equal(statusOf(forbidden.answer()), 403, forbidden.answer());
    forbidden.socket.destroy();
  });

  it('limits each token’s rate (429 with Retry-After), separately per token, and failed sign-ins per address', async () => {
    const core = await startCore('rate', ['--rate-limit', '2']);
    const viewer = (await core.api<{ token: string }>('POST', '/v1/tokens', { name: 'watcher', scope: 'viewer' })).body.token;
    // A burst of 20 (ten seconds' worth) is allowed; the admin token has used one above.
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    let refusal: { code?: string; message?: string } = {};
    for (let i = 0; i < 30; i++) {
      const response = await fetch(`${core.url}/v1/pods`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        refusal = (await response.json()) as typeof refusal;
      } else await response.arrayBuffer();
    }
    const limited = statuses.filter((s) => s === 429).length;
    console.log(`rate limit 2/s: ${statuses.filter((s) => s === 200).length} answered, ${limited} refused with 429; Retry-After ${retryAfter}`);
    assert.ok(limited >= 9, `only ${limited} of 30 refused`);
    assert.equal(statuses.slice(0, 18).filter((s) => s === 429).length, 0, 'the burst is allowed');
    assert.equal(refusal.code, 'RATE_LIMITED');
    assert.match(refusal.message ?? '', /token admin is over 2 requests a second/);
    assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
    // Another token has its own bucket.
    assert.equal((await fetch(`${core.url}/v1/pods`, { headers: { authorization: `Bearer ${viewer}` } })).status, 200);
    // The SDK waits as told and tries again: the call succeeds.
    const patient = new EruClient({ url: core.url, token: TEST_TOKEN });
    const waited = Date.now();
    assert.deepEqual(await patient.pods.list(), []);
    assert.ok(Date.now() - waited >= 400, 'the client waited for its turn');
    // Guessing tokens: 30 failures from one address, then 429 whatever the token.
    const guesses: number[] = [];
    for (let i = 0; i < 35; i++) guesses.push((await fetch(`${core.url}/v1/pods`, { headers: { authorization: `Bearer guess-${i}` } })).status);
    assert.deepEqual([guesses.slice(0, 30).every((s) => s === 401), guesses.slice(31).every((s) => s === 429)], [true, true], guesses.join(' '));
  });

  it('shows nothing private without a token: /healthz says ok, /metrics wants one, query strings stay out of the log', async () => {
    const core = await startCore('private', ['--log-level', 'info']);
    const health = await fetch(`${core.url}/healthz`);
    assert.deepEqual([health.status, await health.json()], [200, { ok: true }]);
    const anonymous = await fetch(`${core.url}/metrics`);
    assert.equal(anonymous.status, 401);
    const viewer = (await core.api<{ token: string }>('POST', '/v1/tokens', { name: 'prometheus', scope: 'viewer' })).body.token;
    const scraped = await fetch(`${core.url}/metrics`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(scraped.status, 200);
    assert.match(await scraped.text(), /^eru_core_api_request_seconds_count/m);
    const open = await startCore('public-metrics', ['--public-metrics']);
    assert.equal((await fetch(`${open.url}/metrics`)).status, 200);

    const secret = `s3cret-${uniqueSuffix()}`;
    await fetch(`${core.url}/v1/pods?token=${secret}&x=${secret}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.arrayBuffer());
    await eventually(async () => core.log.includes('"url":"/v1/pods"'), 5_000, 'the request in the core log');
    assert.ok(!core.log.includes(secret), 'a query string reached the log');
  });

  it('a workload printing a 100 MiB line without a newline: read through the core and forwarded by the agent in bounded memory', async () => {
    const core = await startCore('long-line');
    const docker = testDocker();
    const pod = `ll-${uniqueSuffix()}`;
    const node = `ll-node-${uniqueSuffix()}`;
    cleanups.push(() => removePodContainers(docker, pod));
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint() });
    const nodeToken = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    // The agent forwards every line to this sink, which keeps only counts.
    const sink = { bytes: 0, longest: 0, lines: 0, done: false };
    let rest = '';
    const server: TcpServer = createTcpServer((socket) =>
      socket.on('data', (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop()!;
        for (const part of parts) {
          const line = (JSON.parse(part) as { line: string }).line;
          sink.lines++;
          sink.longest = Math.max(sink.longest, line.length);
          sink.bytes += line.length;
          if (line === 'done') sink.done = true;
        }
      }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const agent = new AgentProcess(core.url, node, nodeToken, dockerEndpoint(), undefined, ['--forward-logs', `tcp://127.0.0.1:${(server.address() as { port: number }).port}`]);
    cleanups.push(() => agent.stop());
    agent.start();
    await eventually(async () => (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body.liveness.state === 'up', 15_000, 'the agent');

    const deployed = await deployViaApi(core, {
      pod,
      app: 'printer',
      entry: 'line',
      image: BASE_IMAGE,
      cpu: 1,
      memory: '64MiB',
      count: 1,
      command: ['sh', '-c', 'sleep 3; head -c 104857600 /dev/zero | tr "\\0" x; echo; echo done; exec sleep 600'],
    });
    const outcome = resultOf(deployed.events);
    assert.ok(outcome?.ok, JSON.stringify(deployed));
    const workload = outcome.workloads[0]!;
    // Settled before the line: what each process holds at rest.
    const before = { core: peakRss(core.pid), agent: peakRss(agent.pid) };
    // A client follows the workload's log through the core as the line is printed.
    const read = { bytes: 0, longest: 0, done: false };
    const following = (async () => {
      for await (const output of core.client.stream<OutputLine>('GET', `/v1/workloads/${workload.id}/logs?follow=true`)) {
        read.bytes += output.line.length;
        read.longest = Math.max(read.longest, output.line.length);
        if (output.line === 'done') {
          read.done = true;
          break;
        }
      }
    })();
    await eventually(async () => read.done && sink.done, 180_000, 'the line and "done" through the core and the agent');
    await following.catch(() => undefined);
    const grown = { core: peakRss(core.pid) - before.core, agent: peakRss(agent.pid) - before.agent };
    console.log(
      `100 MiB line: through the core ${(read.bytes / MiB).toFixed(1)} MiB in pieces of at most ${read.longest} characters, its peak RSS +${(grown.core / MiB).toFixed(1)} MiB; ` +
        `forwarded by the agent ${(sink.bytes / MiB).toFixed(1)} MiB in ${sink.lines} lines of at most ${sink.longest}, its peak RSS +${(grown.agent / MiB).toFixed(1)} MiB`,
    );
    assert.ok(read.longest <= 64 * 1024 && sink.longest <= 64 * 1024, 'lines are cut at 64 KiB');
    assert.ok(read.bytes >= 100 * MiB && sink.bytes >= 100 * MiB, 'the whole line went through, in pieces');
    // Holding the line would take at least 100 MiB more in either process; V8 lets its heap grow by some 30-45 MiB of garbage under this churn.
    assert.ok(grown.core < 80 * MiB, `the core grew by ${grown.core} bytes`);
    assert.ok(grown.agent < 80 * MiB, `the agent grew by ${grown.agent} bytes`);
  });

  it('takes four copies into containers at once; a fifth is told to come back (429), and is taken once one is done', async () => {
    const core = await startCore('uploads');
    const docker = testDocker();
    const pod = `up-${uniqueSuffix()}`;
    cleanups.push(() => removePodContainers(docker, pod));
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    await core.api('POST', `/v1/pods/${pod}/nodes`, { name: `up-node-${uniqueSuffix()}`, endpoint: dockerEndpoint() });
    const outcome = resultOf((await deployViaApi(core, { pod, app: 'uploads', entry: 'main', image: BASE_IMAGE, command: ['sleep', '600'], cpu: 0.01, count: 1 })).events);
    assert.ok(outcome?.ok);
    const id = outcome.workloads[0]!.id;
    const begin = (): ReturnType<typeof rawConnection> => {
      const upload = rawConnection(core.port);
      upload.socket.write(`PUT /v1/workloads/${id}/archive?path=/tmp HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/x-tar\r\nContent-Length: ${10 * MiB}\r\n\r\n`);
      upload.socket.write(Buffer.alloc(64 * 1024));
      return upload;
    };
    const running = [begin(), begin(), begin(), begin()];
    await new Promise((r) => setTimeout(r, 500));
    const fifth = begin();
    await eventually(async () => statusOf(fifth.answer()) !== 0, 5_000, 'an answer to the fifth upload');
    assert.equal(statusOf(fifth.answer()), 429, fifth.answer());
    assert.match(fifth.answer(), /4 copies into containers are under way; try again when one is done/);
    assert.match(fifth.answer(), /retry-after: 5/i);
    assert.ok(running.every((u) => statusOf(u.answer()) === 0), 'the four are still being received');
    fifth.socket.destroy();
    // One of the four goes away: a copy is taken again.
    running[0]!.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const file = join(dir.path, 'small.txt');
    writeFileSync(file, 'small\n');
    const copied = await core.eru(['cp', file, `${id}:/tmp/small.txt`]);
    assert.equal(copied.code, 0, copied.stderr);
    for (const upload of running) upload.socket.destroy();
  });
});
