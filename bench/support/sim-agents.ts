/**
 * SIMULATED agents for bench/c1m.ts: one loop per simulated node, many nodes per process. Each
 * heartbeats at the real agent's interval (2 s) with its node token and a per-core CPU reading, and
 * reports a new workload of its node as running at its next heartbeat, as a real agent reports what
 * Docker's events told it. What the node runs it learns from the pod's event stream (a real agent
 * learns it from its Docker daemon, which here is simulated inside the cores).
 *
 * Run: node dist/bench/support/sim-agents.js CONFIG.json — prints one JSON line of figures every
 * `reportMs` and at SIGTERM, then exits.
 */
import { readFileSync } from 'node:fs';
import { EruClient } from 'eru-client';

export interface SimAgentsConfig {
  /** The cores, comma-separated. */
  urls: string;
  adminToken: string;
  pod: string;
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
const watching = new AbortController();

/** The pod's workloads as they come and go, for the nodes of this process. */
async function follow(): Promise<void> {
  const admin = new EruClient({ url: config.urls, token: config.adminToken });
  for await (const event of admin.events({ pod: config.pod }, undefined, watching.signal, { giveUpMs: 3_600_000 })) {
    if (!event.node || !mine.has(event.node) || !event.workload) continue;
    if (event.type === 'workload.created') {
      onNode.get(event.node)!.add(event.workload);
      toReport.get(event.node)!.push(event.workload);
    } else if (event.type === 'workload.removed') onNode.get(event.node)!.delete(event.workload);
  }
}

function agent(node: SimAgentsConfig['nodes'][number], index: number): void {
  const client = new EruClient({ url: config.urls, token: node.token });
  const beat = async (): Promise<void> => {
    const started = performance.now();
    try {
      await client.agent.heartbeat(node.name, {
        containers: onNode.get(node.name)!.size,
        agent: 'simulated',
        cpu: Array.from({ length: node.cores }, () => Math.round(Math.random() * 100) / 100),
      });
      const news = toReport.get(node.name)!.splice(0);
      if (news.length > 0) {
        await client.agent.report(node.name, { workloads: news.map((id) => ({ id, running: true, healthy: true })) });
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

void follow().catch((error: Error) => process.stderr.write(`event stream ended: ${error.message}\n`));
config.nodes.forEach(agent);
timers.push(setInterval(() => process.stdout.write(`${JSON.stringify(figures())}\n`), config.reportMs));
process.on('SIGTERM', () => {
  for (const timer of timers) clearTimeout(timer);
  watching.abort();
  process.stdout.write(`${JSON.stringify(figures())}\n`, () => process.exit(0));
});
