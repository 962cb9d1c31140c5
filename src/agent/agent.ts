import type { Server } from 'node:http';
import type Docker from 'dockerode';
import { EruClient } from '../client/client.js';
import { connectEngine } from '../engine/docker.js';
import { containerOutput, type OutputLine } from '../engine/output.js';
import { LABEL } from '../engine/spec.js';
import { parseHostPort } from '../lib/address.js';
import { LineBuffer } from '../lib/lines.js';
import { formatMemory } from '../lib/units.js';
import { HEALTH_FAILING, HEALTH_PENDING } from '../contract/states.js';
import type { HeartbeatAnswer } from '../contract/agents.js';
import { sameStatus, type WorkloadStatus } from '../model/status.js';
import { LogForwarder } from './forwarder.js';
import { shapeContainer } from './qos.js';
import { VolumeKeeper } from './volumes.js';
import { metricsServer } from './metrics.js';
import { UsageMeter } from './usage.js';
import { sampleContainer, sampleNode, toLineProtocol, type ContainerSample, type NodeSample } from './sampler.js';

export interface AgentOptions {
  core: string;
  token: string;
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

const OOM_CHECK_MS = 2000;

interface DockerEvent {
  Action?: string;
  id?: string;
  Actor?: { Attributes?: Record<string, string> };
}

/**
 * One per Docker host. Says the node is alive, follows Docker's events for Eru's containers on it,
 * and reports each workload's status when it changes; a periodic full look repairs anything missed.
 * It knows its containers from their Eru labels alone, so a restarted agent rebuilds its view from
 * Docker. It talks to the core, never to the store.
 */
export class Agent {
  private readonly client: EruClient;
  private readonly docker: Docker;
  /** What the core last accepted, per workload. */
  private readonly reported = new Map<string, WorkloadStatus>();
  private timers: NodeJS.Timeout[] = [];
  private readonly events: NodeJS.ReadableStream[] = [];
  /** Egress shaping applied per workload (QoS by address), reported with its status. */
  private readonly qos = new Map<string, string>();
  private readonly volumes = new VolumeKeeper((message) => this.options.log(message));
  /** Network id → driver, to find a container's macvlan interfaces. */
  private readonly drivers = new Map<string, string>();
  private stopped = false;
  private metrics: Server | undefined;
  private forwarder: LogForwarder | undefined;
  /** Containers whose output is being forwarded. */
  private readonly forwarding = new Set<string>();
  /** Why the guard stopped a workload; kept until it runs again, so its status says why. */
  private readonly guardReasons = new Map<string, string>();
  /** Running workloads → their container's full id, for the use figures of the heartbeat. */
  private readonly running = new Map<string, string>();
  private readonly usage = new UsageMeter();

  constructor(private readonly options: AgentOptions) {
    this.client = new EruClient({ url: options.core, token: options.token });
    this.docker = connectEngine({ endpoint: options.docker });
  }

  async start(): Promise<void> {
    await this.heartbeat();
    await this.followEvents();
    // Containers that started before this agent get their shaping now.
    for (const info of await this.listMine()) if (info.State === 'running' && info.Labels[LABEL.rate]) await this.shape(info.Id);
    await this.fullCheck();
    this.timers.push(setInterval(() => void this.heartbeat().catch((e: Error) => this.options.log(`heartbeat failed: ${e.message}`)), this.options.heartbeatMs));
    this.timers.push(setInterval(() => void this.fullCheck().catch((e: Error) => this.options.log(`full check failed: ${e.message}`)), this.options.checkMs));
    if (this.options.metricsListen) {
      const [host, port] = parseHostPort(this.options.metricsListen, 'metrics-listen');
      this.metrics = metricsServer(this.options.node, () => this.sample());
      await new Promise<void>((resolve, reject) => this.metrics!.once('error', reject).listen(port, host, resolve));
    }
    if (this.options.influx) {
      const url = this.options.influx;
      this.timers.push(setInterval(() => void this.pushInflux(url).catch((e: Error) => this.options.log(`influx push failed: ${e.message}`)), this.options.influxIntervalMs ?? 10_000));
    }
    if (this.options.forwardLogs) {
      this.forwarder = new LogForwarder(this.options.forwardLogs);
      for (const info of await this.listMine()) if (info.State === 'running') this.forward(info.Id);
    }
    if (this.options.oomThreshold !== undefined) {
      const threshold = this.options.oomThreshold;
      this.timers.push(setInterval(() => void this.guardMemory(threshold).catch((e: Error) => this.options.log(`oom guard failed: ${e.message}`)), OOM_CHECK_MS));
    }
  }

  /** The node and each running Eru container, for metrics. */
  async sample(): Promise<{ node: NodeSample; containers: ContainerSample[] }> {
    const containers: ContainerSample[] = [];
    for (const info of await this.listMine()) {
      if (info.State !== 'running') continue;
      const sample = await sampleContainer(this.docker, info.Id);
      if (sample) containers.push(sample);
    }
    return { node: await sampleNode(), containers };
  }

  private async pushInflux(url: string): Promise<void> {
    const { node, containers } = await this.sample();
    const body = toLineProtocol(this.options.node, node, containers, BigInt(Date.now()) * 1_000_000n);
    const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  }

  /** Follows one container's output and forwards each line. */
  private forward(containerId: string): void {
    if (!this.forwarder || this.forwarding.has(containerId)) return;
    this.forwarding.add(containerId);
    void (async () => {
      try {
        const container = this.docker.getContainer(containerId);
        const labels = (await container.inspect()).Config.Labels ?? {};
        for await (const output of await containerOutput(container, { follow: true, tail: 0 })) {
          const { stream, line } = output as OutputLine;
          this.forwarder?.send({
            app: labels[LABEL.app] ?? '',
            entry: labels[LABEL.entry] ?? '',
            workload: labels[LABEL.workload] ?? '',
            stream,
            time: new Date().toISOString(),
            line,
          });
        }
      } catch (error) {
        this.options.log(`forwarding ${containerId}: ${(error as Error).message}`);
      } finally {
        this.forwarding.delete(containerId);
      }
    })();
  }

  /**
   * The soft OOM guard: with the host short of memory, the running Eru container furthest above its
   * declared memory (no declaration counts as 0) is stopped, and its status says why.
   */
  async guardMemory(threshold: number): Promise<string | null> {
    const node = await sampleNode();
    if (node.memoryAvailable >= threshold) return null;
    const { containers } = await this.sample();
    const victim = containers
      .map((c) => ({ c, over: c.memoryUsage - c.memoryLimit }))
      .sort((a, b) => b.over - a.over || b.c.memoryUsage - a.c.memoryUsage)[0];
    if (!victim) return null;
    const reason =
      `stopped by the soft OOM guard: the host had ${formatMemory(node.memoryAvailable)} available (threshold ${formatMemory(threshold)}); ` +
      `it used ${formatMemory(victim.c.memoryUsage)}, ${victim.c.memoryLimit > 0 ? `declared ${formatMemory(victim.c.memoryLimit)}` : 'declared none'}`;
    this.guardReasons.set(victim.c.workload, reason);
    this.options.log(`${victim.c.workload}: ${reason}`);
    await this.docker.getContainer(victim.c.workload).kill().catch(() => undefined);
    const status = await this.statusOf(victim.c.workload);
    if (status) await this.report([status]);
    return victim.c.workload;
  }

  /** Eru containers seen at the last full check. */
  private containers = 0;

  /** The last use figures sent, so an extra heartbeat (a volume just made) repeats them instead of measuring a few milliseconds. */
  private lastUse: { cpu: number[]; workloads: Record<string, number> } = { cpu: [], workloads: {} };
  private keeping = false;

  private async heartbeat(measure = true): Promise<void> {
    if (measure) this.lastUse = { cpu: this.usage.cores(), workloads: this.usage.workloads(this.running) };
    const answer = await this.client.agent.heartbeat(this.options.node, {
      containers: this.containers,
      agent: 'eru-agent/0.1',
      ...this.lastUse,
      moosefs: await this.volumes.mounts(),
      volumes: this.volumes.current(),
    });
    if (answer.resend) {
      this.reported.clear();
      await this.fullCheck();
    }
    if (!this.keeping) {
      this.volumes.retain(answer.shared);
      if (answer.shared) void this.keepVolumes(answer.shared);
    }
  }

  /** Shared volumes the core asked for; when a report changed, the core hears it at once (a deploy waits for it). */
  private async keepVolumes(shared: NonNullable<HeartbeatAnswer['shared']>): Promise<void> {
    this.keeping = true;
    try {
      if (await this.volumes.keep(shared)) await this.heartbeat(false);
    } catch (error) {
      this.options.log(`keeping shared volumes failed: ${(error as Error).message}`);
    } finally {
      this.keeping = false;
    }
  }

  private listMine(): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.options.node}`] } });
  }

  /** Every Eru container on the node, as Docker has it now; vanished ones are reported as such. */
  async fullCheck(): Promise<void> {
    const seen = new Set<string>();
    const statuses: WorkloadStatus[] = [];
    const mine = await this.listMine();
    this.containers = mine.length;
    for (const info of mine) {
      const id = info.Labels[LABEL.workload];
      if (!id) continue;
      seen.add(id);
      // The listing says running or not; only a container whose state differs from what was reported
      // (or that was never reported) is inspected for the details.
      const last = this.reported.get(id);
      const running = info.State === 'running';
      // Docker's listing says "Up 3 minutes (unhealthy)" or "(health: starting)" when checks fail or are pending.
      const healthy = running && !/\((unhealthy|health: starting)\)/.test(info.Status);
      if (last && last.running === running && last.healthy === healthy && last.reason !== 'container removed') continue;
      const status = await this.statusOf(info.Id);
      if (status) statuses.push(status);
    }
    for (const [id, last] of this.reported) {
      if (!seen.has(id) && last.reason !== 'container removed') statuses.push({ id, running: false, healthy: false, reason: 'container removed' });
    }
    for (const id of this.running.keys()) if (!seen.has(id)) this.running.delete(id);
    await this.report(statuses);
  }

  private async statusOf(containerId: string): Promise<WorkloadStatus | null> {
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      const id = info.Config.Labels?.[LABEL.workload];
      if (!id) return null;
      const state = info.State;
      if (state.Running) {
        this.guardReasons.delete(id);
        this.running.set(id, info.Id);
      } else this.running.delete(id);
      const guarded = this.guardReasons.get(id);
      if (guarded) return { id, running: false, healthy: false, exitCode: state.ExitCode, reason: guarded };
      const health = (state as { Health?: { Status?: string } }).Health?.Status;
      const qos = state.Running ? this.qos.get(id) : undefined;
      return {
        id,
        ...(qos ? { qos } : {}),
        running: state.Running,
        healthy: state.Running && (health === undefined || health === 'healthy'),
        ...(state.Running ? {} : { exitCode: state.ExitCode }),
        ...(state.OOMKilled ? { oomKilled: true, reason: 'killed for running out of memory' } : {}),
        ...(!state.Running && !state.OOMKilled ? { reason: state.Error || `exited with ${state.ExitCode}` } : {}),
        ...(state.Running && health === 'starting' ? { reason: HEALTH_PENDING } : {}),
        ...(state.Running && health === 'unhealthy' ? { reason: HEALTH_FAILING } : {}),
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  /** Sends what changed since the core last accepted; nothing when nothing did. */
  private async report(statuses: WorkloadStatus[]): Promise<void> {
    const changed = statuses.filter((s) => !sameStatus(this.reported.get(s.id), s));
    if (changed.length === 0) return;
    const answer = await this.client.agent.report(this.options.node, { workloads: changed });
    for (const status of changed) this.reported.set(status.id, status);
    // Workloads the core no longer has (removed through Eru) are forgotten here too.
    for (const id of answer.unknown) this.reported.delete(id);
  }

  /** Docker's events for Eru's containers on this node, and containers joining Eru's networks (their shaping). */
  private async followEvents(): Promise<void> {
    await this.followDocker({ type: ['container'], label: [`${LABEL.managed}=true`, `${LABEL.node}=${this.options.node}`] }, (event) => this.onEvent(event));
    await this.followDocker({ type: ['network'], event: ['connect'], label: [`${LABEL.managed}=true`] }, async (event) => {
      const container = event.Actor?.Attributes?.container;
      if (container) await this.onEvent({ ...event, id: container, Action: 'connect' });
    });
  }

  private async followDocker(filters: Record<string, string[]>, onEvent: (event: DockerEvent) => Promise<void>): Promise<void> {
    const stream = (await this.docker.getEvents({ filters })) as NodeJS.ReadableStream;
    this.events.push(stream);
    const buffer = new LineBuffer();
    stream.on('data', (chunk: Buffer) => {
      for (const line of buffer.push(chunk)) if (line.trim()) void onEvent(JSON.parse(line) as DockerEvent);
    });
    const restart = (): void => {
      if (this.stopped) return;
      this.options.log('a Docker event stream ended; following again');
      setTimeout(() => void this.followDocker(filters, onEvent).then(() => this.fullCheck()).catch(restart), 1000);
    };
    stream.on('end', restart);
    stream.on('error', restart);
  }

  private async onEvent(event: DockerEvent): Promise<void> {
    const action = event.Action?.split(':')[0];
    if (!event.id || !['start', 'die', 'oom', 'health_status', 'restart', 'stop', 'pause', 'unpause', 'connect'].includes(action ?? '')) return;
    try {
      if (action === 'start') this.forward(event.id);
      if (action === 'start' || action === 'connect') await this.shape(event.id);
      // A death is reported from the event itself: an inspect now waits for Docker to finish tearing
      // the container down (tens of ms). The inspect after it adds what the event does not say (OOM, an error).
      const died = action === 'die' ? this.diedStatus(event) : null;
      if (died) await this.report([died]);
      const status = await this.statusOf(event.id);
      if (status) await this.report([status]);
    } catch (error) {
      this.options.log(`cannot report ${event.Actor?.Attributes?.[LABEL.workload] ?? event.id}: ${(error as Error).message}`);
    }
  }

  /** A workload's status from Docker's `die` event alone (its labels and exit code are attributes of the event). */
  private diedStatus(event: DockerEvent): WorkloadStatus | null {
    const attributes = event.Actor?.Attributes ?? {};
    const id = attributes[LABEL.workload];
    if (!id) return null;
    this.running.delete(id);
    const exitCode = Number(attributes.exitCode ?? NaN);
    const guarded = this.guardReasons.get(id);
    if (!Number.isInteger(exitCode)) return null;
    return { id, running: false, healthy: false, exitCode, reason: guarded ?? `exited with ${exitCode}` };
  }

  /** Applies the container's rate to its macvlan interfaces (when it asks for one) and remembers what was applied. */
  private async shape(containerId: string): Promise<void> {
    try {
      const info = await this.docker.getContainer(containerId).inspect();
      const id = info.Config.Labels?.[LABEL.workload];
      if (!id || !info.Config.Labels?.[LABEL.rate]) return;
      const applied = await shapeContainer(this.docker, containerId, this.drivers);
      if (applied) this.qos.set(id, applied);
      else this.qos.delete(id);
    } catch (error) {
      this.options.log(`cannot shape ${containerId}: ${(error as Error).message}`);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const stream of this.events) (stream as unknown as { destroy?: () => void }).destroy?.();
    this.metrics?.close();
    this.forwarder?.close();
  }
}

