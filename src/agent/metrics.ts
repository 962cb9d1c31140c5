import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { USER_HZ, type ContainerSample, type NodeSample } from './sampler.js';

type Source = () => Promise<{ node: NodeSample; containers: ContainerSample[] }>;

/** Cumulative figures are counters (their names end in _total), levels are gauges: what promtool checks. */
const CONTAINER_METRICS: Array<[keyof ContainerSample, string, string, 'counter' | 'gauge']> = [
  ['cpuSeconds', 'eru_container_cpu_seconds_total', 'CPU time used', 'counter'],
  ['throttledPeriods', 'eru_container_cpu_throttled_periods_total', 'CFS periods in which the container was throttled', 'counter'],
  ['throttledSeconds', 'eru_container_cpu_throttled_seconds_total', 'Time the container was throttled', 'counter'],
  ['memoryUsage', 'eru_container_memory_usage_bytes', 'Memory in use', 'gauge'],
  ['memoryLimit', 'eru_container_memory_limit_bytes', 'Memory limit (0: none)', 'gauge'],
  ['networkReceive', 'eru_container_network_receive_bytes_total', 'Bytes received', 'counter'],
  ['networkTransmit', 'eru_container_network_transmit_bytes_total', 'Bytes sent', 'counter'],
  ['blockRead', 'eru_container_block_read_bytes_total', 'Bytes read from block devices', 'counter'],
  ['blockWrite', 'eru_container_block_write_bytes_total', 'Bytes written to block devices', 'counter'],
  ['restarts', 'eru_container_restarts_total', 'Restarts by the container restart policy', 'counter'],
];

/** Sets a metric to the figures read now: a counter is reset and raised to the value the kernel keeps. */
function setAll<L extends string>(metric: Counter<L> | Gauge<L>, rows: Array<[Partial<Record<L, string>>, number]>): void {
  metric.reset();
  for (const [labels, value] of rows) {
    if (metric instanceof Counter) metric.inc(labels, Math.max(0, value));
    else metric.set(labels, value);
  }
}

/** The agent's Prometheus endpoint: the node and each Eru container on it, read at scrape time. */
export function metricsServer(node: string, source: Source): Server {
  const registry = new Registry();
  let round: Promise<{ node: NodeSample; containers: ContainerSample[] }> | undefined;
  // One sampling round per scrape, shared by every metric.
  const current = (): Promise<{ node: NodeSample; containers: ContainerSample[] }> => (round ??= source().finally(() => setTimeout(() => (round = undefined), 0)));
  for (const [field, name, help, kind] of CONTAINER_METRICS) {
    const options = {
      name,
      help,
      labelNames: ['node', 'pod', 'app', 'entry', 'workload'] as const,
      registers: [registry],
      async collect(this: Counter | Gauge) {
        setAll(this, (await current()).containers.map((c) => [{ node, pod: c.pod, app: c.app, entry: c.entry, workload: c.workload }, c[field] as number]));
      },
    };
    if (kind === 'counter') new Counter(options);
    else new Gauge(options);
  }
  new Counter({
    name: 'eru_node_cpu_busy_seconds_total',
    help: 'Time each core of the host was busy (not idle or waiting on I/O), from /proc/stat',
    labelNames: ['node', 'cpu'] as const,
    registers: [registry],
    async collect() {
      setAll(this, (await current()).node.cores.map((c, cpu): [{ node: string; cpu: string }, number] => [{ node, cpu: String(cpu) }, c.busy / USER_HZ]));
    },
  });
  const nodeGauge = (name: string, help: string, pick: (s: NodeSample) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['node'] as const,
      registers: [registry],
      async collect() {
        this.set({ node }, pick((await current()).node));
      },
    });
  };
  nodeGauge('eru_node_cpus', 'CPUs of the host', (s) => s.cpus);
  nodeGauge('eru_node_memory_total_bytes', 'Memory of the host', (s) => s.memoryTotal);
  nodeGauge('eru_node_memory_available_bytes', 'Memory available on the host', (s) => s.memoryAvailable);
  nodeGauge('eru_node_load1', 'One-minute load average', (s) => s.load1);
  return createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
}
