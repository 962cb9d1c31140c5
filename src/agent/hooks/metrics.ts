import type { Server } from 'node:http';
import { parseHostPort } from '../../lib/address.js';
import { metricsServer } from '../metrics.js';
import { sampleContainers, sampleNode, toLineProtocol } from '../sampler.js';
import type { AgentState } from '../state.js';
import type { AgentHook } from './types.js';

/** Metrics: a Prometheus endpoint read at scrape time, and the same figures pushed as InfluxDB line protocol. */
export class MetricsHook implements AgentHook {
  readonly name = 'metrics';
  private server: Server | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: { listen?: string; influx?: string; influxIntervalMs?: number }) {}

  async start(state: AgentState): Promise<void> {
    const sample = async () => ({ node: await sampleNode(), containers: await sampleContainers(state) });
    if (this.options.listen) {
      const [host, port] = parseHostPort(this.options.listen, 'metrics-listen');
      const server = metricsServer(state.node, sample);
      this.server = server;
      await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
    }
    const url = this.options.influx;
    if (url) {
      const push = async (): Promise<void> => {
        const { node, containers } = await sample();
        const body = toLineProtocol(state.node, node, containers, BigInt(Date.now()) * 1_000_000n);
        const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
        if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      };
      this.timer = setInterval(() => void push().catch((e: Error) => state.log(`influx push failed: ${e.message}`)), this.options.influxIntervalMs ?? 10_000);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.server?.close();
  }
}
