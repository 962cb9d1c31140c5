/**
 * C1M (`npm run bench:c1m -- --nodes 5000 --workloads 1000000 --cores 3 [--etcd-members 1|3]`).
 *
 * The control plane at Nomad's C1M size on one machine: the hosts are SIMULATED (engine/simulated.ts,
 * `sim://`, cores started with --allow-simulated) and so are their agents (bench/support/sim-agents.ts:
 * one heartbeat loop per node at the real 2 s interval, statuses reported as a real agent does);
 * everything else is real — etcd, Redis, several cores, the HTTP API, the CLI.
 *
 * Prints placements/s over time and at 100k / 300k / 1M, deploy latency p50/p99, etcd's database
 * size (and per workload), each core's peak RSS and CPU, the agents' heartbeat round trips, the time
 * of `eru ps --app X` and of a paged full listing, and ends with `eru check` (every ledger equals
 * its workloads). Nomad's figure (3,750/s: 5,000 real hosts, 5 servers) is printed beside ours for
 * reference, not as a like-for-like comparison.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EruClient } from 'eru-client';
import { CoreProcess, TEST_TOKEN } from '../harness/core.js';
import { EtcdCluster } from '../harness/etcd.js';
import { launchBrowser, signIn } from '../harness/browser.js';
import { startRedis } from '../harness/redis.js';
import { eventually } from '../harness/services.js';
import type { SimAgentsConfig, SimAgentsFigures } from './support/sim-agents.js';

interface Options {
  nodes: number;
  workloads: number;
  cores: number;
  etcdMembers: number;
  /** Parallel deploying clients. */
  clients: number;
  /** Instances per deploy. */
  batch: number;
  /** Distinct apps the clients deploy. */
  apps: number;
  agentProcesses: number;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { nodes: 5000, workloads: 1_000_000, cores: 3, etcdMembers: 1, clients: 12, batch: 500, apps: 200, agentProcesses: 4 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!.replace(/^--/, '').replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as keyof Options;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isInteger(value) || value < 1) throw new Error(`usage: c1m [--nodes N] [--workloads N] [--cores N] [--etcd-members 1|3] [--clients N] [--batch N] [--apps N] [--agent-processes N] (got ${argv[i]} ${argv[i + 1]})`);
    options[key] = value;
  }
  return options;
}

const POD = 'c1m';
const NOMAD_C1M_PER_SECOND = 3750;
const MILESTONES = [100_000, 300_000, 1_000_000];

/** Peak resident memory (VmHWM) and CPU seconds so far of a process, from /proc. */
function processFigures(pid: number): { peakRssMiB: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { peakRssMiB: Math.round(hwm / 1024), cpuSeconds: ticks / 100 };
}

const percentile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i]!, i);
      }
    }),
  );
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'eru-c1m-'));
  console.log(`C1M: ${options.workloads.toLocaleString()} workloads on ${options.nodes.toLocaleString()} SIMULATED nodes (48 cores, 192 GiB each), ${options.cores} cores, ${options.etcdMembers}-member etcd, ${options.clients} clients × deploys of ${options.batch}`);
  const etcd = await EtcdCluster.start(options.etcdMembers, ['--quota-backend-bytes', String(8 * 1024 ** 3), '--auto-compaction-mode', 'revision', '--auto-compaction-retention', '100000']);
  const redis = await startRedis();
  const cores: CoreProcess[] = [];
  const agents: ChildProcess[] = [];
  try {
    for (let i = 0; i < options.cores; i++) cores.push(await CoreProcess.start(etcd.url, ['--bus', redis.url, '--allow-simulated', '--rate-limit', '0']));
    const urls = cores.map((c) => c.url);
    const admin = new EruClient({ url: urls.join(','), token: TEST_TOKEN });
    await admin.pods.create({ name: POD, sharebase: 10 });

    // Nodes, each with its agent's token.
    let started = performance.now();
    const nodes: SimAgentsConfig['nodes'] = [];
    await inParallel(Array.from({ length: options.nodes }, (_, i) => `sim-${String(i).padStart(5, '0')}`), 32, async (name, i) => {
      const client = new EruClient({ url: urls[i % urls.length]!, token: TEST_TOKEN });
      await client.nodes.add(POD, { name, endpoint: `sim://${name}?cores=48&memory=192GiB` });
      nodes.push({ name, token: (await client.nodes.issueToken(name)).token, cores: 48 });
    });
    console.log(`nodes: ${options.nodes} added with their tokens in ${((performance.now() - started) / 1000).toFixed(1)} s`);

    // The simulated agents, a share of the nodes each, every process told every core.
    const agentFigures: SimAgentsFigures[][] = [];
    for (let p = 0; p < options.agentProcesses; p++) {
      const config: SimAgentsConfig = { urls: urls.join(','), heartbeatMs: 2000, reportMs: 10_000, nodes: nodes.filter((_, i) => i % options.agentProcesses === p) };
      const file = join(dir, `agents-${p}.json`);
      writeFileSync(file, JSON.stringify(config));
      const child = spawn(process.execPath, [fileURLToPath(new URL('./support/sim-agents.js', import.meta.url)), file], { stdio: ['pipe', 'pipe', 'inherit'] });
      const figures: SimAgentsFigures[] = [];
      agentFigures.push(figures);
      let buffered = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        for (const line of lines) if (line) figures.push(JSON.parse(line) as SimAgentsFigures);
      });
      agents.push(child);
    }
    await eventually(async () => (await admin.nodes.list(POD)).filter((n) => n.liveness.state === 'up').length === options.nodes, 120_000, 'every simulated node up');
    console.log('agents: every node up');

    // Deploys from several clients at once, each to its own core in turn.
    const latencies: number[] = [];
    let placed = 0;
    let failures = 0;
    const failureSamples: string[] = [];
    const deploys = Math.ceil(options.workloads / options.batch);
    let nextDeploy = 0;
    const timeline: Array<{ seconds: number; placed: number }> = [];
    const milestones = new Map<number, number>();
    started = performance.now();
    // CPU is counted over the deploys only (adding the nodes and starting the agents left out).
    const cpuAtStart = new Map([...cores.map((c) => c.pid), ...etcd.pids, ...agents.map((a) => a.pid!)].map((pid) => [pid, processFigures(pid).cpuSeconds]));
    let deploysEnded = 0;
    const cpuOverDeploys = (pid: number): { peakRssMiB: number; cpuSeconds: number; share: string } => {
      const f = processFigures(pid);
      const cpuSeconds = f.cpuSeconds - (cpuAtStart.get(pid) ?? 0);
      return { peakRssMiB: f.peakRssMiB, cpuSeconds, share: `${((cpuSeconds / deploysEnded) * 100).toFixed(0)}% of one CPU` };
    };
    const ticker = setInterval(() => {
      const seconds = (performance.now() - started) / 1000;
      const last = timeline.at(-1) ?? { seconds: 0, placed: 0 };
      timeline.push({ seconds, placed });
      console.log(`  ${seconds.toFixed(0).padStart(4)} s  ${placed.toLocaleString().padStart(9)} placed  ${Math.round((placed - last.placed) / (seconds - last.seconds)).toLocaleString().padStart(6)}/s now  ${Math.round(placed / seconds).toLocaleString().padStart(6)}/s overall`);
    }, 10_000);
    await Promise.all(
      Array.from({ length: options.clients }, async (_, c) => {
        const client = new EruClient({ url: [...urls.slice(c % urls.length), ...urls.slice(0, c % urls.length)].join(','), token: TEST_TOKEN });
        while (nextDeploy < deploys) {
          const d = nextDeploy++;
          const count = Math.min(options.batch, options.workloads - d * options.batch);
          const t0 = performance.now();
          try {
            const result = await client.deploy({ pod: POD, app: `app${d % options.apps}`, entry: 'web', image: 'sim/c1m:1', command: ['serve'], count, cpu: 0.1, memory: 64 * 1024 ** 2 });
            if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
            placed += result.workloads.length;
            // The simulated agents learn what their nodes now run (a real agent, from its Docker).
            const created = JSON.stringify({ created: result.workloads.map((w) => [w.node, w.id]) });
            for (const agent of agents) agent.stdin!.write(`${created}\n`);
            latencies.push(performance.now() - t0);
            for (const m of MILESTONES) if (placed >= m && !milestones.has(m)) milestones.set(m, (performance.now() - started) / 1000);
          } catch (error) {
            failures++;
            if (failureSamples.length < 5) failureSamples.push((error as Error).message.slice(0, 300));
          }
        }
      }),
    );
    clearInterval(ticker);
    const seconds = (performance.now() - started) / 1000;
    deploysEnded = seconds;
    const cpuFigures = new Map([...cpuAtStart.keys()].map((pid) => [pid, cpuOverDeploys(pid)]));

    // What the deploys showed, printed before anything else is measured.
    const dbSize = await etcd.dbSize();
    console.log('');
    console.log(`placed ${placed.toLocaleString()} in ${seconds.toFixed(1)} s: ${Math.round(placed / seconds).toLocaleString()}/s (Nomad's C1M: ${NOMAD_C1M_PER_SECOND.toLocaleString()}/s on 5,000 real hosts and 5 servers — theirs, not this machine)`);
    for (const [m, at] of milestones) console.log(`  at ${m.toLocaleString()}: ${Math.round(m / at).toLocaleString()}/s since the start`);
    if (failures) console.log(`failed deploys: ${failures} — ${failureSamples.join(' | ')}`);
    const sorted = latencies.sort((a, b) => a - b);
    console.log(`deploy latency (${options.batch} instances): p50 ${Math.round(percentile(sorted, 0.5))} ms, p99 ${Math.round(percentile(sorted, 0.99))} ms`);
    console.log(`etcd database: ${(dbSize / 1024 ** 2).toFixed(0)} MiB, ${Math.round(dbSize / Math.max(placed, 1))} bytes per workload`);
    for (const [i, core] of cores.entries()) {
      const f = cpuFigures.get(core.pid)!;
      console.log(`core ${i}: peak RSS over the deploys ${f.peakRssMiB} MiB, CPU over the deploys ${f.cpuSeconds.toFixed(0)} s (${f.share})`);
    }
    for (const [i, pid] of etcd.pids.entries()) {
      const f = cpuFigures.get(pid)!;
      console.log(`etcd member ${i}: peak RSS ${f.peakRssMiB} MiB, CPU over the deploys ${f.cpuSeconds.toFixed(0)} s (${f.share})`);
    }
    const agentCpu = agents.reduce((sum, agent) => sum + cpuFigures.get(agent.pid!)!.cpuSeconds, 0);
    console.log(`simulated agents (${agents.length} processes): CPU over the deploys ${agentCpu.toFixed(0)} s (${((agentCpu / seconds) * 100).toFixed(0)}% of one CPU)`);
    const perPlacement = (pids: number[]): string => ((pids.reduce((sum, pid) => sum + cpuFigures.get(pid)!.cpuSeconds, 0) * 1000) / Math.max(placed, 1)).toFixed(2);
    console.log(`CPU per placement: cores ${perPlacement(cores.map((c) => c.pid))} ms, etcd ${perPlacement(etcd.pids)} ms, simulated agents ${perPlacement(agents.map((a) => a.pid!))} ms`);
    const beats = agentFigures.flatMap((f) => f.slice(-3));
    console.log(`heartbeats (the last 30 s of deploys): ${beats.reduce((s, f) => s + f.beats, 0)}, round trip p50 ${Math.max(...beats.map((f) => f.p50))} ms, p99 ${Math.max(...beats.map((f) => f.p99))} ms, failed ${agentFigures.flat().reduce((s, f) => s + f.failed, 0)}`);

    // Then each measurement of the end, printed as it is made; one that fails is said, and the rest go on.
    const measure = async (what: string, work: () => Promise<string>): Promise<void> => {
      try {
        console.log(`${what}: ${await work()}`);
      } catch (error) {
        console.log(`${what}: FAILED — ${(error as Error).message.split('\n')[0]}`);
      }
    };
    await measure('eru ps --app app7', async () => {
      const psTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        const ps = await cores[0]!.eru(['ps', '--app', 'app7', '--json']);
        psTimes.push(performance.now() - t0);
        if (ps.code !== 0) throw new Error(`eru ps failed: ${ps.stderr}`);
      }
      // The same list without the CLI's process start: the API's own time.
      const apiTimes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await admin.workloads.list({ app: 'app7' });
        apiTimes.push(performance.now() - t0);
      }
      return `median ${Math.round([...psTimes].sort((a, b) => a - b)[2]!)} ms (its API call alone ${Math.round([...apiTimes].sort((a, b) => a - b)[2]!)} ms)`;
    });
    await measure('full paged listing', async () => {
      const t0 = performance.now();
      const listed = (await admin.workloads.list({ pod: POD })).length;
      return `${listed.toLocaleString()} workloads in ${Math.round(performance.now() - t0)} ms`;
    });
    // The pod's map: the API, then in Chromium from the page's start to the map painted, and to a filter typed in answered.
    await measure(`pod map of ${options.nodes.toLocaleString()} nodes (API)`, async () => {
      const t0 = performance.now();
      const response = await fetch(`${urls[0]}/v1/pods/${POD}/map`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
      const bytes = (await response.arrayBuffer()).byteLength;
      return `${Math.round(performance.now() - t0)} ms, ${(bytes / 1024 ** 2).toFixed(1)} MiB`;
    });
    await measure(`pod map of ${options.nodes.toLocaleString()} nodes (Chromium)`, async () => {
      const browser = await launchBrowser();
      try {
        const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
        await signIn(page, urls[0]!, TEST_TOKEN);
        await page.goto(`${urls[0]}/ui/#/pods/${POD}`);
        await page.reload();
        await page.waitForFunction(() => (window as unknown as { __eru: { mapPaintedAt: number } }).__eru.mapPaintedAt > 0, undefined, { timeout: 120_000, polling: 50 });
        const painted = await page.evaluate(() => (window as unknown as { __eru: { mapPaintedAt: number } }).__eru.mapPaintedAt);
        const last = `sim-${String(options.nodes - 1).padStart(5, '0')}`;
        await page.fill('input.filter', last);
        await page.waitForFunction(() => document.querySelectorAll('[data-node]').length === 1, undefined, { polling: 'raf', timeout: 60_000 });
        const interactive = await page.evaluate(() => performance.now());
        return `painted ${Math.round(painted)} ms, a filter answered at ${Math.round(interactive)} ms after the page's start`;
      } finally {
        await browser.close();
      }
    });
    await measure(`eru check --pod ${POD}`, async () => {
      const t0 = performance.now();
      const check = await cores[0]!.eru(['check', '--pod', POD, '--json'], { timeoutMs: 30 * 60_000 });
      const report = JSON.parse(check.stdout || '{}') as { counts?: Record<string, number>; nodes?: string[]; skipped?: Record<string, string> };
      if (!report.nodes) throw new Error(`no report: ${(check.stderr || check.stdout).slice(0, 500)}`);
      return `${((performance.now() - t0) / 1000).toFixed(1)} s, exit ${check.code}, ${report.nodes.length} nodes checked; drift by kind ${JSON.stringify(report.counts ?? {})}; ${report.skipped?.['simulated nodes'] ?? ''}`;
    });
    for (const [i, core] of cores.entries()) console.log(`core ${i}: peak RSS at the end ${processFigures(core.pid).peakRssMiB} MiB`);
  } finally {
    for (const agent of agents) agent.kill('SIGTERM');
    for (const core of cores) await core.stop().catch(() => undefined);
    await redis.stop();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
