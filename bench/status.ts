/**
 * Status benchmark (`npm run bench:status`): how fast a container's death reaches subscribers.
 *
 * A core (Redis bus), an agent for the local daemon, and 50 small containers. Each container in turn
 * is killed with `docker kill` behind Eru's back; the time until its `workload.status` (not running,
 * exit code 137) arrives on Redis is the latency. The baseline, in the same run: the time until
 * Docker's own `die` event reaches a plain subscriber of the Docker event stream — the floor any agent
 * stands on. Also the idle cost, at rest (nothing happening, the agent's heartbeats every 2 s): the
 * agent's CPU while it watches the 50 idle containers, and the core's with its one node, from /proc;
 * and the agent's memory. Targets: median ≤ 200 ms, p99 ≤ 1 s, Eru adds ≤ 25 ms at the median and
 * ≤ 50 ms at p99 over Docker's own event, the agent ≤ 1% of a core and the core ≤ 0.5% at rest.
 */
import { readFileSync } from 'node:fs';
import { openBus } from '../src/bus/index.js';
import { LineBuffer } from '../src/lib/lines.js';
import type { EruEvent } from '../src/contract/events.js';
import { AgentProcess } from '../harness/agent.js';
import { CoreProcess, tempDir } from '../harness/core.js';
import { startRedis } from '../harness/redis.js';
import { deployViaApi, resultOf } from '../harness/deploy.js';
import { BASE_IMAGE, removePodContainers, testDocker } from '../harness/docker.js';
import { eventually } from '../harness/services.js';

const COUNT = 50;
/** At rest: the first full checks and health events settle, then both processes are measured for 30 s. */
const SETTLE_MS = 12_000;
const IDLE_MS = 30_000;
const docker = testDocker('unix:///var/run/docker.sock');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

async function main(): Promise<void> {
  const dir = await tempDir('eru-bench-status-');
  const redis = await startRedis();
  const redisUrl = redis.url;
  const core = await CoreProcess.start(`embedded:${dir.path}/eru.db`, ['--bus', redisUrl]);
  const bus = openBus(redisUrl);
  const statuses: Array<{ at: number; event: EruEvent }> = [];
  await bus.subscribe({ kind: 'app', app: 'watched' }, (event) => statuses.push({ at: performance.now(), event }));
  let agent: AgentProcess | undefined;
  try {
    await core.api('POST', '/v1/pods', { name: 'status', sharebase: 100 });
    await core.api('POST', '/v1/pods/status/nodes', { name: 'local', endpoint: 'unix:///var/run/docker.sock' });
    const token = (await core.api<{ token: string }>('POST', '/v1/nodes/local/tokens')).body.token;
    // The agent's own defaults: a heartbeat every 2 s, a full check every 10 s.
    agent = new AgentProcess(core.url, 'local', token, 'unix:///var/run/docker.sock', { heartbeatMs: 2000, checkMs: 10_000 });
    agent.start();
    const result = await deployViaApi(core, { pod: 'status', app: 'watched', image: BASE_IMAGE, command: ['sleep', '3600'], cpu: 0.02, count: COUNT });
    const workloads = resultOf(result.events);
    if (!workloads?.ok) throw new Error(JSON.stringify(result));
    const ids = workloads.workloads.map((w) => w.id);
    await eventually(
      async () => new Set(statuses.filter((s) => s.event.data.running === true).map((s) => s.event.workload)).size === COUNT,
      60_000,
      'all 50 reported running',
    );
    const agentPid = agent.pid;
    const corePid = core.pid;

    // At rest: the agent watching 50 running containers, the core with its one node; nothing happening.
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const ticksPerSecond = 100;
    const idleBefore = cpuTicks(agentPid);
    const coreBefore = cpuTicks(corePid);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idleCpu = (cpuTicks(agentPid) - idleBefore) / ticksPerSecond / (IDLE_MS / 1000);
    const coreIdleCpu = (cpuTicks(corePid) - coreBefore) / ticksPerSecond / (IDLE_MS / 1000);

    // Docker's own event stream, the baseline subscriber.
    const dockerDies = new Map<string, number>();
    const dockerEvents = (await docker.getEvents({ filters: { type: ['container'], event: ['die'], label: ['eru.app=watched'] } })) as NodeJS.ReadableStream;
    const lines = new LineBuffer();
    dockerEvents.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk).filter(Boolean)) {
        const e = JSON.parse(line) as { Actor: { Attributes: Record<string, string> } };
        dockerDies.set(e.Actor.Attributes['eru.workload']!, performance.now());
      }
    });

    const eru: number[] = [];
    const base: number[] = [];
    const busyBefore = cpuTicks(agentPid);
    const busyStart = performance.now();
    for (const id of ids) {
      const start = performance.now();
      await docker.getContainer(id).kill();
      const arrived = await eventually(
        async () => statuses.find((s) => s.event.workload === id && s.event.data.running === false)?.at,
        10_000,
        `the status of ${id}`,
      );
      eru.push(arrived - start);
      const died = await eventually(async () => dockerDies.get(id), 10_000, `docker's die event of ${id}`);
      base.push(died - start);
    }
    const busyCpu = (cpuTicks(agentPid) - busyBefore) / ticksPerSecond / ((performance.now() - busyStart) / 1000);
    (dockerEvents as unknown as { destroy: () => void }).destroy();

    const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;
    console.log(`${COUNT} containers killed one by one with docker kill, latency until the status event arrives on Redis:`);
    console.log(`  Eru (agent → core → Redis)   median ${fmt(percentile(eru, 50))}  p99 ${fmt(percentile(eru, 99))}  max ${fmt(Math.max(...eru))}`);
    console.log(`  Docker's own die event       median ${fmt(percentile(base, 50))}  p99 ${fmt(percentile(base, 99))}  max ${fmt(Math.max(...base))}  (baseline)`);
    const addedMedian = percentile(eru, 50) - percentile(base, 50);
    const addedP99 = percentile(eru, 99) - percentile(base, 99);
    console.log(`  ratio of medians: ×${(percentile(eru, 50) / percentile(base, 50)).toFixed(2)}; Eru adds ${fmt(addedMedian)} at the median, ${fmt(addedP99)} at p99`);
    console.log(`agent: ${(idleCpu * 100).toFixed(2)}% of a core at rest (over ${IDLE_MS / 1000} s with ${COUNT} containers), ${(busyCpu * 100).toFixed(1)}% while reporting the kills, RSS ${rssMiB(agentPid).toFixed(0)} MiB`);
    console.log(`core: ${(coreIdleCpu * 100).toFixed(2)}% of a core at rest (over the same ${IDLE_MS / 1000} s, one node heartbeating), RSS ${rssMiB(corePid).toFixed(0)} MiB`);
    const ok = percentile(eru, 50) <= 200 && percentile(eru, 99) <= 1000 && addedMedian <= 25 && addedP99 <= 50 && idleCpu <= 0.01 && coreIdleCpu <= 0.005;
    console.log(`targets: median ≤ 200 ms, p99 ≤ 1 s, over Docker's ≤ 25 ms at the median and ≤ 50 ms at p99, agent ≤ 1% and core ≤ 0.5% of a core at rest: ${ok ? 'ok' : 'MISSED'}`);
  } finally {
    await agent?.stop();
    // The core first: its keeper would replace the instances removed under it.
    await core.stop();
    await removePodContainers(docker, 'status');
    await bus.close();
    await redis.stop();
    await dir.remove();
  }
}

await main();
