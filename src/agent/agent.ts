import type Docker from 'dockerode';
import { EruClient } from 'eru-client';
import { nodeTransport } from 'eru-client/node';
import type { ClientTls } from 'eru-client';
import type { Heartbeat } from '../contract/agents.js';
import { connectEngine } from '../engine/docker.js';
import { LABEL } from '../engine/spec.js';
import { LineBuffer } from '../lib/lines.js';
import { LogShipping } from './hooks/logs.js';
import { MetricsHook } from './hooks/metrics.js';
import { OomGuard } from './hooks/oom.js';
import { QosHook } from './hooks/qos.js';
import { StatusHook } from './hooks/status.js';
import type { AgentHook, ContainerEvent } from './hooks/types.js';
import { UsageHook } from './hooks/usage.js';
import { VolumeHook } from './hooks/volumes.js';
import { BindHook } from './hooks/binds.js';
import { EngineHook } from './hooks/engine.js';
import { AgentState } from './state.js';

export interface AgentOptions {
  core: string;
  token: string;
  /** What to trust and show for an https:// core (its CA; a client certificate). */
  tls?: ClientTls;
  node: string;
  docker: string;
  /** How often to say the node is alive. */
  heartbeatMs: number;
  /** How often to look at every container, repairing whatever an event missed. */
  checkMs: number;
  log: (message: string) => void;
  /** Serve Prometheus metrics on HOST:PORT. */
  metricsListen?: string;
  /** Push the same metrics as InfluxDB line protocol to this write URL. */
  influx?: string;
  influxIntervalMs?: number;
  /** Forward every Eru container's output as JSON lines to tcp://HOST:PORT or udp://HOST:PORT. */
  forwardLogs?: string;
  /** Soft OOM guard: when the host's available memory falls under this many bytes, stop the container furthest over its declared memory. */
  oomThreshold?: number;
}

/** The Docker events the hooks act on. */
const ACTIONS = new Set(['start', 'die', 'oom', 'health_status', 'restart', 'stop', 'pause', 'unpause', 'connect']);

interface DockerEvent {
  Action?: string;
  id?: string;
  Actor?: { Attributes?: Record<string, string> };
}

/**
 * One per Docker host: a thin runner over its hooks (hooks/: status, usage, OOM guard, metrics, log
 * shipping, QoS, shared volumes). It says the node is alive every `heartbeatMs` with what the hooks
 * add, hands the core's answer to them, and follows Docker's events for Eru's containers on the node,
 * handing each to them in order. It knows its containers from their Eru labels alone, so a restarted
 * agent rebuilds its view from Docker. It talks to the core, never to the store.
 */
export class Agent {
  private readonly state: AgentState;
  private readonly hooks: AgentHook[];
  private readonly docker: Docker;
  private timer: NodeJS.Timeout | undefined;
  private readonly streams: NodeJS.ReadableStream[] = [];
  private stopped = false;

  constructor(private readonly options: AgentOptions) {
    this.docker = connectEngine({ endpoint: options.docker });
    const client = new EruClient({ url: options.core, token: options.token, tls: options.tls ?? {}, transport: nodeTransport(options.tls) });
    this.state = new AgentState(options.node, this.docker, client, options.log, () => this.heartbeat(false));
    const status = new StatusHook(options.checkMs);
    // Events reach the hooks in this order: output followed and shaping applied before the status is read.
    this.hooks = [
      ...(options.forwardLogs ? [new LogShipping(options.forwardLogs)] : []),
      new QosHook(),
      status,
      new UsageHook(this.state),
      new VolumeHook(this.state),
      new BindHook(this.state),
      new EngineHook(this.state),
      ...(options.metricsListen || options.influx
        ? [new MetricsHook({ ...(options.metricsListen ? { listen: options.metricsListen } : {}), ...(options.influx ? { influx: options.influx } : {}), ...(options.influxIntervalMs ? { influxIntervalMs: options.influxIntervalMs } : {}) })]
        : []),
      ...(options.oomThreshold !== undefined ? [new OomGuard(options.oomThreshold, status)] : []),
    ];
  }

  async start(): Promise<void> {
    await this.heartbeat();
    await this.followEvents();
    for (const hook of this.hooks) await hook.start?.(this.state);
    this.timer = setInterval(() => void this.heartbeat().catch((e: Error) => this.options.log(`heartbeat failed: ${e.message}`)), this.options.heartbeatMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const stream of this.streams) (stream as unknown as { destroy?: () => void }).destroy?.();
    for (const hook of this.hooks) hook.stop?.();
  }

  /** The node is alive, with what each hook adds; the answer goes to each hook. */
  private async heartbeat(measure = true): Promise<void> {
    const body: Heartbeat = { agent: 'eru-agent/0.1' };
    for (const hook of this.hooks) Object.assign(body, await hook.heartbeat?.(measure));
    const answer = await this.state.client.agent.heartbeat(this.options.node, body);
    // The other cores, to move on to when this one dies.
    this.state.client.learn(answer.cores ?? []);
    for (const hook of this.hooks) await hook.onAnswer?.(answer);
  }

  /** Docker's events for Eru's containers on this node, and containers joining Eru's networks (their shaping). */
  private async followEvents(): Promise<void> {
    await this.followDocker({ type: ['container'], label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.options.node}`] }, (event) =>
      event.id ? this.dispatch({ action: event.Action?.split(':')[0] ?? '', id: event.id, attributes: event.Actor?.Attributes ?? {} }) : Promise.resolve(),
    );
    await this.followDocker({ type: ['network'], event: ['connect'], label: [`${LABEL.managed}=true`] }, async (event) => {
      const container = event.Actor?.Attributes?.container;
      if (container) await this.dispatch({ action: 'connect', id: container, attributes: {} });
    });
  }

  private async dispatch(event: ContainerEvent): Promise<void> {
    if (!ACTIONS.has(event.action)) return;
    for (const hook of this.hooks) {
      try {
        await hook.onEvent?.(event);
      } catch (error) {
        this.options.log(`${hook.name}: ${event.attributes[LABEL.workload] ?? event.id}: ${(error as Error).message}`);
      }
    }
  }

  private async followDocker(filters: Record<string, string[]>, onEvent: (event: DockerEvent) => Promise<void>): Promise<void> {
    const stream = (await this.docker.getEvents({ filters })) as NodeJS.ReadableStream;
    this.streams.push(stream);
    const buffer = new LineBuffer();
    stream.on('data', (chunk: Buffer) => {
      for (const line of buffer.push(chunk)) if (line.trim()) void onEvent(JSON.parse(line) as DockerEvent);
    });
    const restart = (): void => {
      if (this.stopped) return;
      this.options.log('a Docker event stream ended; following again');
      const status = this.hooks.find((h): h is StatusHook => h instanceof StatusHook);
      setTimeout(() => void this.followDocker(filters, onEvent).then(() => status?.fullCheck()).catch(restart), 1000);
    };
    stream.on('end', restart);
    stream.on('error', restart);
  }
}
