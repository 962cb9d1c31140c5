import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { NodeView } from '../../src/contract/nodes.js';
import type { Workload } from '../../src/model/workload.js';
import { parseMemory } from '../../src/lib/units.js';
import { AgentProcess } from '../../harness/agent.js';
import { CoreProcess, TEST_TOKEN, freePort, tempDir } from '../../harness/core.js';
import { deployViaApi, resultOf } from '../../harness/deploy.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../../harness/docker.js';
import { dockerEndpoint, eventually, uniqueSuffix } from '../../harness/services.js';

/** promtool's complaints about an exposition, one per line (empty when it is clean). */
function promtoolProblems(exposition: string): string[] {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) throw result.error;
  return `${result.stdout}${result.stderr}`.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

describe('agent metrics, InfluxDB push, log forwarding, and the soft OOM guard', () => {
  const docker = testDocker();
  const pod = `ax-${uniqueSuffix()}`;
  const node = `ax-node-${uniqueSuffix()}`;
  let core: CoreProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let token: string;
  let influx: HttpServer;
  let logs: TcpServer;
  const influxBodies: string[] = [];
  const logLines: string[] = [];
  const agents: AgentProcess[] = [];

  before(async () => {
    dir = await tempDir('eru-agent-extras-');
    core = await CoreProcess.start(`embedded:${dir.path}/eru.db`);
    await core.api('POST', '/v1/pods', { name: pod, sharebase: 100 });
    await core.api('POST', `/v1/pods/${pod}/nodes`, { name: node, endpoint: dockerEndpoint() });
    token = (await core.api<{ token: string }>('POST', `/v1/nodes/${node}/tokens`)).body.token;
    influx = createHttpServer((request, response) => {
      let body = '';
      request.on('data', (d: Buffer) => (body += d.toString()));
      request.on('end', () => {
        influxBodies.push(`${request.url}\n${body}`);
        response.writeHead(204).end();
      });
    });
    logs = createTcpServer((socket) => {
      let rest = '';
      socket.on('data', (d: Buffer) => {
        const parts = (rest + d.toString()).split('\n');
        rest = parts.pop()!;
        logLines.push(...parts);
      });
    });
    await new Promise<void>((r) => influx.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => logs.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const agent of agents) await agent.stop();
    await removePodContainers(docker, pod);
    influx?.close();
    logs?.close();
    await core?.stop();
    await dir?.remove();
  });

  async function deploy(entry: string, command: string[], memory: string | number, extra: Record<string, unknown> = {}): Promise<Workload> {
    const result = await deployViaApi(core, { pod, app: 'extras', entry, image: BASE_IMAGE, command, cpu: 0.1, memory, count: 1, keep: false, ...extra });
    const outcome = resultOf(result.events);
    assert.ok(outcome?.ok, JSON.stringify(result));
    return outcome.workloads[0]!;
  }

  it('serves Prometheus metrics per container and node, pushes line protocol, and forwards output as JSON lines', async () => {
    // The ticker also serves a page on a published port, so the test can make it receive and send bytes.
    const webPort = await freePort();
    const ticker = await deploy(
      'ticker',
      ['sh', '-c', 'mkdir -p /tmp/www && echo hello > /tmp/www/index.html && httpd -p 8080 -h /tmp/www; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'],
      '64MiB',
      { publish: [`127.0.0.1:${webPort}:8080`] },
    );
    // A busy loop under its 0.1-CPU quota: the kernel must throttle it.
    const burner = await deploy('burner', ['sh', '-c', 'while :; do :; done'], '16MiB');
    await eventually(async () => (await fetch(`http://127.0.0.1:${webPort}/`).then((r) => r.text()).catch(() => '')).includes('hello'), 10_000, 'the ticker to serve');
    for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${webPort}/`).then((r) => r.text());
    const metricsPort = await freePort();
    const influxUrl = `http://127.0.0.1:${(influx.address() as { port: number }).port}/write?db=eru`;
    const agent = new AgentProcess(core.url, node, token, dockerEndpoint(), undefined, [
      '--metrics-listen', `127.0.0.1:${metricsPort}`,
      '--influx', influxUrl,
      '--influx-interval', '1000',
      '--forward-logs', `tcp://127.0.0.1:${(logs.address() as { port: number }).port}`,
    ]);
    agents.push(agent);
    agent.start();

    const text = await eventually(async () => {
      const body = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text()).catch(() => '');
      return body.includes(ticker.id) ? body : undefined;
    }, 15_000, 'container metrics');
    const line = (name: string, workload = ticker.id): number => {
      const match = new RegExp(`^${name}\\{[^}]*workload="${workload}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      assert.ok(match, `${name} for ${workload} in:\n${text.slice(0, 2000)}`);
      return Number(match[1]);
    };
    assert.equal(line('eru_container_memory_limit_bytes'), 64 * 1024 * 1024);
    assert.ok(line('eru_container_memory_usage_bytes') > 0);
    assert.ok(line('eru_container_cpu_seconds_total') > 0);
    // The page fetches went in and out of the ticker's network namespace.
    assert.ok(line('eru_container_network_receive_bytes_total') > 0, 'bytes received');
    assert.ok(line('eru_container_network_transmit_bytes_total') > 0, 'bytes sent');
    assert.equal(line('eru_container_restarts_total'), 0);
    // The ticker sleeps within its quota; the burner is throttled.
    const throttled = await eventually(async () => {
      const body = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text());
      const match = new RegExp(`^eru_container_cpu_throttled_periods_total\\{[^}]*workload="${burner.id}"[^}]*\\} (\\S+)$`, 'm').exec(body);
      return match && Number(match[1]) > 0 ? body : undefined;
    }, 10_000, 'the burner to be throttled');
    const seconds = new RegExp(`^eru_container_cpu_throttled_seconds_total\\{[^}]*workload="${burner.id}"[^}]*\\} (\\S+)$`, 'm').exec(throttled);
    assert.ok(seconds && Number(seconds[1]) > 0, `the burner was throttled for some time: ${seconds?.[1]}`);
    assert.match(text, /^eru_node_memory_available_bytes\{node="[^"]+"\} \d+/m);
    // Each core's busy time is a counter, per core; the burner keeps at least one core busy.
    const busy = [...throttled.matchAll(/^eru_node_cpu_busy_seconds_total\{[^}]*cpu="(\d+)"[^}]*\} (\S+)$/gm)];
    assert.equal(busy.length, (await docker.info()).NCPU, 'one busy counter per core');
    assert.match(throttled, /^# TYPE eru_node_cpu_busy_seconds_total counter$/m);
    assert.ok(busy.some(([, , value]) => Number(value) > 0), 'some core was busy');
    // Every series passes promtool's lint: counters typed as counters, with units and help.
    assert.deepEqual(promtoolProblems(throttled), [], 'agent /metrics');
    // …and promtool does find a counter typed as a gauge, so the clean result above means something.
    const doctored = throttled.replace(/^# TYPE eru_node_cpu_busy_seconds_total counter$/m, '# TYPE eru_node_cpu_busy_seconds_total gauge');
    assert.notEqual(doctored, throttled);
    assert.ok(
      promtoolProblems(doctored).some((p) => p.startsWith('eru_node_cpu_busy_seconds_total non-counter metrics should not have "_total" suffix')),
      promtoolProblems(doctored).join('\n'),
    );
    // The heartbeat carries the same measurements to the core: a figure per core and per workload.
    const usage = await eventually(async () => {
      const view = (await core.api<NodeView>('GET', `/v1/nodes/${node}`)).body;
      return view.usage && view.usage.workloads[burner.id] !== undefined ? view : undefined;
    }, 10_000, 'use in the heartbeat');
    assert.equal(usage.usage!.cpu.length, (await docker.info()).NCPU);
    // The burner is held to 0.1 CPU by its quota: measured near that, never near a whole core.
    const burnerUse = usage.usage!.workloads[burner.id]!;
    assert.ok(burnerUse > 0.03 && burnerUse < 0.3, `the burner used ${burnerUse} cores`);
    assert.ok(usage.cpuMap.some((c) => c.use !== undefined), 'the core map carries measured use');
    assert.equal((await core.api('DELETE', `/v1/workloads/${burner.id}`)).status, 200);

    const pushed = await eventually(async () => influxBodies.find((b) => b.includes(ticker.id)), 10_000, 'an InfluxDB push');
    assert.match(pushed, /^\/write\?db=eru\n/);
    assert.match(pushed, new RegExp(`^eru_container,node=${node},pod=${pod},app=extras,entry=ticker,workload=${ticker.id} cpu_seconds=[\\d.e-]+,.*memory_limit=67108864i,.* \\d{19}$`, 'm'));

    const forwarded = await eventually(async () => {
      const parsed = logLines.map((l) => JSON.parse(l) as { workload: string; stream: string; line: string; app: string; entry: string; time: string });
      return parsed.filter((p) => p.workload === ticker.id).length >= 3 ? parsed.filter((p) => p.workload === ticker.id) : undefined;
    }, 10_000, 'forwarded log lines');
    assert.deepEqual(Object.keys(forwarded[0]!).sort(), ['app', 'entry', 'line', 'stream', 'time', 'workload']);
    assert.equal(forwarded[0]!.stream, 'stdout');
    assert.equal(forwarded[0]!.app, 'extras');
    assert.match(forwarded[0]!.line, /^tick \d+$/);

    const coreMetrics = await fetch(`${core.url}/metrics`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } }).then((r) => r.text());
    // prom-client's own process and Node.js metrics aside, the core's series pass promtool too.
    assert.deepEqual(promtoolProblems(coreMetrics).filter((p) => !/^(eru_core_nodejs_|process_)/.test(p)), [], 'core /metrics');
    assert.match(coreMetrics, /^eru_core_api_request_seconds_count\{method="POST",route="\/v1\/workloads",status="200"\} \d+/m);
    assert.match(coreMetrics, new RegExp(`^eru_workloads\\{pod="${pod}",state="[a-z_]+"\\} 1$`, 'm'));
    assert.match(coreMetrics, /^eru_core_deploy_seconds_count\{outcome="ok"\} 2$/m);
    await agent.stop();
  });

  it('with the host short of memory, the guard stops the container furthest over its declared memory, and says why', async () => {
    // 60 MB held in a shell variable, with no memory declared: the furthest over its declaration. The
    // shell must outlive the sleep (a last `sleep` would be exec'd, freeing the variable: that made this
    // test pass or fail by timing). Half a core, so filling it is quick; the guard starts once it holds it.
    const hog = await deploy('hog', ['sh', '-c', 'x=$(head -c 60000000 /dev/zero | tr "\\0" a); echo held; sleep 600; echo ${#x}'], 0, { cpu: 0.5 });
    const [ticker] = (await core.api<Workload[]>('GET', `/v1/workloads?pod=${pod}&entry=ticker`)).body;
    await eventually(async () => (await core.eru(['logs', hog.id])).stdout.includes('held'), 60_000, 'the hog to hold its memory');
    // A threshold above any host's memory: the host is always "short".
    const agent = new AgentProcess(core.url, node, token, dockerEndpoint(), undefined, ['--oom-threshold', '1TiB']);
    agents.push(agent);
    agent.start();
    const status = await eventually(async () => {
      const shown = await core.api<{ status: { running: boolean; reason?: string } | null }>('GET', `/v1/workloads/${hog.id}`);
      return shown.body.status && !shown.body.status.running ? shown.body.status : undefined;
    }, 15_000, 'the hog to be stopped');
    const reason = /^stopped by the soft OOM guard: the host had (\S+) available \(threshold 1TiB\); it used (\S+), declared none$/.exec(status.reason ?? '');
    assert.ok(reason, status.reason);
    // The figures, read back as numbers: the host's memory is some, and the hog used its 60 MB.
    assert.ok(parseMemory(reason[1], ['available']) > 0, reason[1]);
    const used = parseMemory(reason[2], ['used']);
    assert.ok(used >= 55_000_000 && used < 200 * 1024 * 1024, `the hog used ${reason[2]} (${used} bytes)`);
    await agent.stop();
    assert.equal((await docker.getContainer(hog.id).inspect()).State.Running, false);
    // The ticker, within its declaration, was left alone: still running, never restarted, its status untouched.
    const tickerState = await docker.getContainer(ticker!.id).inspect();
    assert.equal(tickerState.State.Running, true, 'the ticker outlived the hog');
    assert.ok(Date.parse(tickerState.State.StartedAt) < Date.parse((await docker.getContainer(hog.id).inspect()).State.FinishedAt));
    const tickerStatus = (await core.api<{ status: { running: boolean; reason?: string } | null }>('GET', `/v1/workloads/${ticker!.id}`)).body.status;
    assert.equal(tickerStatus?.running, true);
  });
});
