import { PassThrough, type Readable } from 'node:stream';
import { event } from '../bus/index.js';
import { EruError, conflict, notFound } from '../lib/errors.js';
import type { CoreContext } from './context.js';
import { cloneResources, releasePlacement } from '../scheduler/allocate.js';
import { engineMessage, isMissing, type Engines } from '../engine/engines.js';
import { del, put, unchanged, type Repositories, type Versioned } from '../store/repositories.js';
import type { Node } from './model/node.js';
import type { WorkloadStatus } from './model/status.js';
import type { Intent, Workload } from './model/workload.js';
import { randomSuffix } from './placement.js';
import { optimistic } from './retry.js';
import { reapplySharedPool, removeContainer } from './rollout.js';

export interface WorkloadFilter {
  pod?: string;
  app?: string;
  entry?: string;
  node?: string;
}

export interface ContainerState {
  status: string;
  running: boolean;
  exitCode: number;
  startedAt?: string;
  finishedAt?: string;
  cpusetCpus?: string;
  cpuShares?: number;
  cpuQuota?: number;
  memory?: number;
}

export type ControlAction = 'start' | 'stop' | 'restart';

/** Workloads once placed: finding them, looking inside, controlling, logs, removal. */
export class WorkloadService {
  private readonly repos: Repositories;
  private readonly engines: Engines;

  constructor(
    private readonly context: CoreContext,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repos = context.repos;
    this.engines = context.engines;
  }

  async list(filter: WorkloadFilter = {}): Promise<Workload[]> {
    return (await this.repos.workloads.list())
      .map((w) => w.value)
      .filter(
        (w) =>
          (filter.pod === undefined || w.pod === filter.pod) &&
          (filter.app === undefined || w.app === filter.app) &&
          (filter.entry === undefined || w.entry === filter.entry) &&
          (filter.node === undefined || w.node === filter.node),
      );
  }

  /** A workload by its id, its container id or name, or an unambiguous prefix of either. */
  async resolve(ref: string): Promise<Versioned<Workload>> {
    const exact = await this.repos.workloads.get(ref);
    if (exact) return exact;
    const all = await this.repos.workloads.list();
    const matches = all.filter((w) => w.value.id.startsWith(ref) || (w.value.containerId?.startsWith(ref) ?? false));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw notFound('workload', ref);
    throw conflict(`"${ref}" matches ${matches.length} workloads: ${matches.map((w) => w.value.id).join(', ')}`);
  }

  private async nodeOf(workload: Workload): Promise<Node> {
    const node = await this.repos.nodes.get(workload.node);
    if (!node) throw new EruError('NOT_FOUND', `node ${workload.node} of workload ${workload.id} is gone`, { status: 404 });
    return node.value;
  }

  async inspect(ref: string): Promise<{ workload: Workload; status: WorkloadStatus | null; container: ContainerState | null }> {
    const { value: workload } = await this.resolve(ref);
    const status = (await this.repos.statuses.get(workload.id))?.value ?? null;
    const docker = this.engines.get(await this.nodeOf(workload));
    try {
      const info = await docker.getContainer(workload.id).inspect();
      return {
        workload,
        status,
        container: {
          status: info.State.Status,
          running: info.State.Running,
          exitCode: info.State.ExitCode,
          startedAt: info.State.StartedAt,
          finishedAt: info.State.FinishedAt,
          cpusetCpus: info.HostConfig.CpusetCpus,
          cpuShares: info.HostConfig.CpuShares,
          cpuQuota: info.HostConfig.CpuQuota,
          memory: info.HostConfig.Memory,
        },
      };
    } catch (error) {
      if (isMissing(error)) return { workload, status, container: null };
      throw engineError(workload, error);
    }
  }

  /** `timeout`: seconds a stop or restart waits after SIGTERM before SIGKILL. */
  async control(ref: string, action: ControlAction, timeout = 10): Promise<Workload> {
    const { value: workload } = await this.resolve(ref);
    const container = this.engines.get(await this.nodeOf(workload)).getContainer(workload.id);
    try {
      if (action === 'start') await container.start();
      else if (action === 'stop') await container.stop({ t: timeout });
      else await container.restart({ t: timeout });
    } catch (error) {
      // 304: already in the state asked for.
      if ((error as { statusCode?: number }).statusCode !== 304) throw engineError(workload, error);
    }
    return workload;
  }

  /**
   * Removes a workload: its record and its reservation go in one transaction together with a removal
   * intent; then the container goes, then the intent. A core dying in between leaves the intent, and
   * recovery removes the container.
   */
  async remove(ref: string): Promise<Workload> {
    const removal = await optimistic(`removing ${ref}`, async () => {
      const workload = await this.resolve(ref);
      const ledger = await this.repos.ledgers.get(workload.value.node);
      const intent: Intent = {
        id: `remove-${workload.value.id}-${randomSuffix()}`,
        kind: 'remove',
        owner: this.context.owner,
        createdAt: this.now().toISOString(),
        workloads: [workload.value],
      };
      const workloadKey = this.repos.workloads.key(workload.value.id);
      const ops = [del(workloadKey), del(this.repos.statuses.key(workload.value.id)), put(this.repos.intents.key(intent.id), intent)];
      const compares = [unchanged(workloadKey, workload.revision)];
      const pod = await this.repos.pods.get(workload.value.pod);
      if (ledger && pod) {
        const released = cloneResources(ledger.value);
        releasePlacement(released, workload.value.placement, pod.value.sharebase);
        ops.push(put(this.repos.ledgers.key(workload.value.node), released));
        compares.push(unchanged(this.repos.ledgers.key(workload.value.node), ledger.revision));
      }
      return (await this.repos.commit(compares, ops)) ? intent : undefined;
    });
    const workload = removal.workloads[0]!;
    const nodes = new Map((await this.repos.nodes.list()).map((n) => [n.value.name, n.value]));
    await removeContainer(this.engines, nodes, workload);
    await this.repos.store.txn([], [del(this.repos.intents.key(removal.id))]);
    if (workload.placement.cpuset) await reapplySharedPool(this.context, nodes, new Set([workload.node]));
    this.context.publish(event('workload.removed', { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id, data: { entry: workload.entry } }));
    return workload;
  }

  /** The container's output as lines tagged with their stream; follows when asked. */
  async logs(ref: string, options: { follow: boolean; tail?: number }): Promise<Readable> {
    const { value: workload } = await this.resolve(ref);
    const container = this.engines.get(await this.nodeOf(workload)).getContainer(workload.id);
    return containerOutput(container, options);
  }
}

export function engineError(workload: Workload, error: unknown): EruError {
  if (isMissing(error)) return new EruError('NOT_FOUND', `the container of ${workload.id} is gone from ${workload.node}`, { status: 404 });
  return new EruError('ENGINE_ERROR', `${workload.id} on ${workload.node}: ${engineMessage(error)}`, { status: 502 });
}

export interface OutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/** Docker's multiplexed log stream, split into stdout/stderr lines (an object stream of OutputLine). */
export async function containerOutput(
  container: import('dockerode').Container,
  options: { follow: boolean; tail?: number },
): Promise<Readable> {
  const lines = new PassThrough({ objectMode: true });
  const splitter = (stream: OutputLine['stream']): PassThrough => {
    const raw = new PassThrough();
    let rest = '';
    raw.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop()!;
      for (const line of parts) lines.write({ stream, line } satisfies OutputLine);
    });
    raw.on('end', () => {
      if (rest) lines.write({ stream, line: rest });
    });
    return raw;
  };
  const stdout = splitter('stdout');
  const stderr = splitter('stderr');
  const common = { stdout: true, stderr: true, ...(options.tail !== undefined ? { tail: options.tail } : {}) };
  const finish = (): void => {
    stdout.end();
    stderr.end();
    setImmediate(() => lines.end());
  };
  if (options.follow) {
    const stream = await container.logs({ ...common, follow: true });
    container.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', finish);
    stream.on('error', finish);
    lines.on('close', () => (stream as unknown as { destroy?: () => void }).destroy?.());
  } else {
    const buffer = await container.logs({ ...common, follow: false });
    const source = new PassThrough();
    container.modem.demuxStream(source, stdout, stderr);
    source.on('end', finish);
    source.end(buffer);
  }
  return lines;
}
