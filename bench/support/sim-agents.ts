/**
 * SIMULATED agents for bench/c1m.ts: one loop per simulated node, many nodes per process. Each
 * heartbeats at the real agent's interval (2 s) with its node token and a per-core CPU reading, and
 * reports a new workload of its node as running at its next heartbeat, as a real agent reports what
 * Docker's events told it. What its node runs it is told on stdin by the bench, which has every
 * deploy's result (a real agent learns it from its Docker daemon, which here is simulated inside the
 * cores — so no event stream is watched that a real cluster would not have).
 *
 * Run: node dist/bench/support/sim-agents.js CONFIG.json, then one JSON line per deploy on stdin:
 * `{"created": [[node, workloadId], …]}` — prints one JSON line of figures every `reportMs` and at
 * SIGTERM, then exits.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { LeanHttp } from './lean-http.js';

export interface SimAgentsConfig {
  /** The cores, comma-separated. */
  urls: string;
  heartbeatMs: number;
  reportMs: number;
  nodes: Array<{ name: string; token: string; cores: number }>;
}

export interface SimAgentsFigures {
  beats: number;
  failed: number;
  lastError?: string;
  /** Heartbeat round trips in this period, ms. */
  p50: number;
  p99: number;
  reported: number;
  containers: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as SimAgentsConfig;
const mine = new Set(config.nodes.map((n) => n.name));
const onNode = new Map<string, Set<string>>(config.nodes.map((n) => [n.name, new Set()]));
const toReport = new Map<string, string[]>(config.nodes.map((n) => [n.name, []]));
let latencies: number[] = [];
let beats = 0;
let failed = 0;
let reported = 0;
let lastError: string | undefined;
const timers: NodeJS.Timeout[] = [];

/** What the bench's deploys placed on this process's nodes. */
createInterface({ input: process.stdin }).on('line', (line) => {
  const { created } = JSON.parse(line) as { created: Array<[string, string]> };
  for (const [node, id] of created) {
    if (!mine.has(node)) continue;
    onNode.get(node)!.add(id);
    toReport.get(node)!.push(id);
  }
});

/** One lean client per core (lean-http.ts: this process's own HTTP cost kept below the cores'). */
const cores = config.urls.split(',').map((url) => {
  const { hostname, port } = new URL(url);
  return new LeanHttp(hostname, Number(port), 64);
});

async function call(core: LeanHttp, path: string, token: string, body: unknown): Promise<void> {
  const answer = await core.post(path, token, JSON.stringify(body));
  if (answer.status !== 200) throw new Error(`${answer.status} ${answer.body.slice(0, 200)}`);
}

function agent(node: SimAgentsConfig['nodes'][number], index: number): void {
  // Agents spread over the cores, as each real agent is given one.
  const core = cores[index % cores.length]!;
  const path = `/v1/nodes/${encodeURIComponent(node.name)}`;
  const beat = async (): Promise<void> => {
    const started = performance.now();
    try {
      // What the real agent sends (contract/agents.ts): its containers, and each core's use.
      await call(core, `${path}/heartbeat`, node.token, {
        containers: onNode.get(node.name)!.size,
        agent: 'simulated',
        cpu: Array.from({ length: node.cores }, () => Math.round(Math.random() * 100) / 100),
      });
      const news = toReport.get(node.name)!.splice(0);
      if (news.length > 0) {
        await call(core, `${path}/status`, node.token, { workloads: news.map((id) => ({ id, running: true, healthy: true })) });
        reported += news.length;
      }
      beats++;
      latencies.push(performance.now() - started);
    } catch (error) {
      failed++;
      lastError = (error as Error).message;
    }
  };
  // Spread over the interval, as agents started at different times are.
  const offset = (index / config.nodes.length) * config.heartbeatMs;
  timers.push(
    setTimeout(() => {
      void beat();
      timers.push(setInterval(() => void beat(), config.heartbeatMs));
    }, offset),
  );
}

function figures(): SimAgentsFigures {
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0);
  const containers = [...onNode.values()].reduce((sum, set) => sum + set.size, 0);
  const out: SimAgentsFigures = { beats, failed, ...(lastError ? { lastError } : {}), p50: at(0.5), p99: at(0.99), reported, containers };
  latencies = [];
  return out;
}

config.nodes.forEach(agent);
timers.push(setInterval(() => process.stdout.write(`${JSON.stringify(figures())}\n`), config.reportMs));
process.on('SIGTERM', () => {
  for (const timer of timers) clearTimeout(timer);
  for (const core of cores) core.close();
  process.stdout.write(`${JSON.stringify(figures())}\n`, () => process.exit(0));
});
