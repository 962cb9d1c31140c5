import type { ControlAction, ResizeBody, WorkloadFilter, WorkloadInspect, WorkloadListItem } from '../../contract/workloads.js';
import { engineMessage, isMissing, type Engines } from '../../engine/engines.js';
import { containerOutput, type OutputLine } from '../../engine/output.js';
import { EruError, ErrorCode, conflict, notFound } from '../../lib/errors.js';
import type { Node } from '../../model/node.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { idsOf, put, unchanged, type Repositories, type Versioned } from '../repositories.js';
import { continueAfter, continuedFrom, DEFAULT_PAGE, type Page } from '../../contract/query.js';
import { optimistic } from '../retry.js';
import { heldPage, heldState, heldWorkloads } from './held.js';
import { reallocWorkload } from './realloc.js';
import { ArchiveService } from './archive.js';
import { ExecService } from './exec.js';
import { removeWorkload, type RemoveOptions } from './remove.js';
import { addToCount } from '../services/record.js';
import { lockService } from '../services/lock.js';
import { deadline, ENGINE_CALL_MS } from '../../engine/docker.js';


/** Workloads once placed: finding them, looking inside, controlling, logs, removal, resizing; exec and copy (exec.ts, archive.ts). */
export class WorkloadService {
  private readonly repos: Repositories;
  private readonly engines: Engines;
  readonly exec: ExecService;
  readonly archive: ArchiveService;

  constructor(
    private readonly context: CoreContext,
    copyLimit?: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repos = context.repos;
    this.engines = context.engines;
    this.exec = new ExecService(context);
    this.archive = new ArchiveService(context, copyLimit);
  }

  /**
   * One page of the workloads Eru has made or is making (held.ts): recorded ones, deploys and jobs
   * under way, removals — in id order, at most `limit` read (default DEFAULT_PAGE), after the page
   * `continue` names. With an app (and entrypoint) the page reads only that app's range of keys.
   */
  async list(filter: WorkloadFilter = {}): Promise<Page<WorkloadListItem>> {
    const limit = filter.limit ?? DEFAULT_PAGE;
    const after = filter.continue !== undefined ? continuedFrom(filter.continue) : undefined;
    const start = filter.app !== undefined ? idsOf(filter.app, filter.entry) : '';
    const { held, last, more } = await heldPage(this.repos, start, after, limit);
    const statuses = new Map((await this.repos.statuses.listStarting(start, { ...(after !== undefined ? { after } : {}), limit: limit * 2 })).map((s) => [s.name, s.value]));
    const items = held
      .filter(
        ({ workload: w, kind }) =>
          (filter.pod === undefined || w.pod === filter.pod) &&
          (filter.app === undefined || w.app === filter.app) &&
          (filter.entry === undefined || w.entry === filter.entry) &&
          (filter.node === undefined || w.node === filter.node) &&
          (filter.kind === undefined || kind === filter.kind),
      )
      .map((held) => {
        const status = held.phase === 'recorded' ? (statuses.get(held.workload.id) ?? null) : null;
        return { ...held.workload, kind: held.kind, status, state: heldState(held, status) };
      })
      .filter((w) => filter.status === undefined || w.state === filter.status);
    return { items, ...(more && last !== undefined ? { next: continueAfter(last) } : {}) };
  }

  /** A workload by its id, its container id or name, or an unambiguous prefix of either. */
  /**
   * A workload by its full name (its id, also the container's name), or its container id or a prefix
   * of it (4 hex digits or more). A prefix of a name is not enough: `eru rm hello` must not remove
   * hello_web_x1y2z3 because it happens to be the only one.
   */
  async resolve(ref: string): Promise<Versioned<Workload>> {
    const exact = await this.repos.workloads.get(ref);
    if (exact) return exact;
    if (!/^[0-9a-f]{4,64}$/.test(ref)) throw new EruError(ErrorCode.NOT_FOUND, `workload ${ref} not found (give its full name, or its container id or a prefix of it)`);
    const matches = (await this.repos.workloads.list()).filter((w) => w.value.containerId?.startsWith(ref) ?? false);
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw notFound('workload with container id', ref);
    throw conflict(`container id prefix "${ref}" matches ${matches.length} workloads: ${matches.map((w) => w.value.id).join(', ')}`);
  }

  /** Which app a workload is of: who may change it depends on it. */
  async appOf(ref: string): Promise<string> {
    return (await this.find(ref)).app;
  }

  /** A workload to look at (inspect, logs): also one that lives only in an intent, such as a running job. */
  private async find(ref: string): Promise<Workload> {
    try {
      return (await this.resolve(ref)).value;
    } catch (error) {
      if (!(error instanceof EruError) || error.code !== ErrorCode.NOT_FOUND) throw error;
      const underWay = (await heldWorkloads(this.repos)).find((h) => h.workload.id === ref);
      if (!underWay) throw error;
      return underWay.workload;
    }
  }

  private async nodeOf(workload: Workload): Promise<Node> {
    const node = await this.repos.nodes.get(workload.node);
    if (!node) throw new EruError(ErrorCode.NOT_FOUND, `node ${workload.node} of workload ${workload.id} is gone`);
    return node.value;
  }

  async inspect(ref: string): Promise<WorkloadInspect> {
    const workload = await this.find(ref);
    const status = (await this.repos.statuses.get(workload.id))?.value ?? null;
    const docker = this.engines.get(await this.nodeOf(workload));
    try {
      const info = await docker.getContainer(workload.id).inspect(deadline());
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
    // Marked before it stops, so the keeper never sees it exited without knowing an operator did it.
    if (action === 'stop') await this.markStopped(workload.id, true);
    try {
      // A stop or restart may rightly take its timeout before the kill: the deadline comes after that.
      const within = deadline(ENGINE_CALL_MS + timeout * 1000);
      if (action === 'start') await container.start(within);
      else if (action === 'stop') await container.stop({ t: timeout, ...within });
      else await container.restart({ t: timeout, ...within });
    } catch (error) {
      // 304: already in the state asked for.
      if ((error as { statusCode?: number }).statusCode !== 304) {
        if (action === 'stop') await this.markStopped(workload.id, false);
        throw engineError(workload, error);
      }
    }
    return this.markStopped(workload.id, action === 'stop');
  }

  /** Records whether an operator stopped it, so the keeper does not take it for lost. */
  private markStopped(id: string, stopped: boolean): Promise<Workload> {
    const { repos } = this.context;
    return optimistic('recording a stop', async () => {
      const current = await repos.workloads.get(id);
      if (!current) throw notFound('workload', id);
      if ((current.value.stoppedAt !== undefined) === stopped) return current.value;
      const { stoppedAt: _was, ...rest } = current.value;
      const next: Workload = stopped ? { ...rest, stoppedAt: new Date().toISOString() } : rest;
      return (await repos.commit([unchanged(repos.workloads.key(id), current.revision)], [put(repos.workloads.key(id), next)])) ? next : undefined;
    });
  }

  /**
   * Removes a workload (remove.ts): its cores are free again and its container is gone. An instance of
   * a service leaves it one smaller (the operator decided so; the keeper does not bring it back), under
   * the service's lock so the keeper never picks a surplus of its own meanwhile.
   */
  async remove(ref: string, options: RemoveOptions = {}): Promise<Workload> {
    const { value: target } = await this.resolve(ref);
    const service = (await this.repos.services.get(target.pod, target.app, target.entry))?.value;
    if (service?.count === undefined) return removeWorkload(this.context, () => this.resolve(ref), this.now, options);
    const unlock = await lockService(this.context, service, `removing ${target.id}`);
    try {
      await addToCount(this.context, service, -1);
      return await removeWorkload(this.context, () => this.resolve(ref), this.now, options).catch(async (error: unknown) => {
        await addToCount(this.context, service, +1);
        throw error;
      });
    } finally {
      await unlock();
    }
  }

  /** Resizes a workload in place (realloc.ts): new cores and memory, no restart. */
  realloc(ref: string, body: ResizeBody): Promise<Workload> {
    return reallocWorkload(this.context, () => this.resolve(ref), body);
  }

  /** The container's output as lines tagged with their stream; follows when asked. */
  async logs(ref: string, options: { follow: boolean; tail?: number; signal?: AbortSignal }): Promise<AsyncIterable<OutputLine>> {
    const workload = await this.find(ref);
    const container = this.engines.get(await this.nodeOf(workload)).getContainer(workload.id);
    return containerOutput(container, options);
  }
}


export function engineError(workload: Workload, error: unknown): EruError {
  if (isMissing(error)) return new EruError(ErrorCode.NOT_FOUND, `the container of ${workload.id} is gone from ${workload.node}`);
  return new EruError(ErrorCode.ENGINE_ERROR, `${workload.id} on ${workload.node}: ${engineMessage(error)}`);
}

