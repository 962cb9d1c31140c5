import { createServer, type Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import type { ContainerSample, NodeSample } from './sampler.js';

type Source = () => Promise<{ node: NodeSample; containers: ContainerSample[] }>;

const CONTAINER_METRICS: Array<[keyof ContainerSample, string, string]> = [
  ['cpuSeconds', 'eru_container_cpu_seconds_total', 'CPU time used'],
  ['throttledPeriods', 'eru_container_cpu_throttled_periods_total', 'CFS periods in which the container was throttled'],
  ['throttledSeconds', 'eru_container_cpu_throttled_seconds_total', 'Time the container was throttled'],
  ['memoryUsage', 'eru_container_memory_usage_bytes', 'Memory in use'],
  ['memoryLimit', 'eru_container_memory_limit_bytes', 'Memory limit (0: none)'],
  ['networkReceive', 'eru_container_network_receive_bytes_total', 'Bytes received'],
  ['networkTransmit', 'eru_container_network_transmit_bytes_total', 'Bytes sent'],
  ['blockRead', 'eru_container_block_read_bytes_total', 'Bytes read from block devices'],
  ['blockWrite', 'eru_container_block_write_bytes_total', 'Bytes written to block devices'],
  ['restarts', 'eru_container_restarts_total', 'Restarts by the container restart policy'],
];

/** The agent's Prometheus endpoint: the node and each Eru container on it, read at scrape time. */
export function metricsServer(node: string, source: Source): Server {
  const registry = new Registry();
  let round: Promise<{ node: NodeSample; containers: ContainerSample[] }> | undefined;
  // One sampling round per scrape, shared by every metric.
  const current = (): Promise<{ node: NodeSample; containers: ContainerSample[] }> => (round ??= source().finally(() => setTimeout(() => (round = undefined), 0)));
  for (const [field, name, help] of CONTAINER_METRICS) {
    new Gauge({
      name,
      help,
      labelNames: ['node', 'pod', 'app', 'entry', 'workload'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of (await current()).containers) {
          this.set({ node, pod: c.pod, app: c.app, entry: c.entry, workload: c.workload }, c[field] as number);
        }
      },
    });
  }
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
