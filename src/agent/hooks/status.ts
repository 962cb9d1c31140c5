import { HEALTH_FAILING, HEALTH_PENDING } from '../../contract/states.js';
import type { HeartbeatAnswer } from '../../contract/agents.js';
import { LABEL } from '../../engine/spec.js';
import { sameStatus, type WorkloadStatus } from '../../model/status.js';
import type { AgentState } from '../state.js';
import type { AgentHook, ContainerEvent } from './types.js';

/**
 * Workload status: each of Eru's containers on the node as Docker has it, reported to the core when
 * it changes — from Docker's events as they come, and from a full look every `checkMs` that repairs
 * whatever an event missed (a container that vanished is reported as removed).
 */
export class StatusHook implements AgentHook {
  readonly name = 'status';
  private state!: AgentState;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly checkMs: number) {}

  async start(state: AgentState): Promise<void> {
    this.state = state;
    await this.fullCheck();
    this.timer = setInterval(() => void this.fullCheck().catch((e: Error) => state.log(`full check failed: ${e.message}`)), this.checkMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  heartbeat(): { containers: number } {
    return { containers: this.state?.containers ?? 0 };
  }

  /** The node was marked down, which overwrote its workloads' statuses: all of them again. */
  async onAnswer(answer: HeartbeatAnswer): Promise<void> {
    if (!answer.resend || !this.state) return;
    this.state.reported.clear();
    await this.fullCheck();
  }

  async onEvent(event: ContainerEvent): Promise<void> {
    // A death is reported from the event itself: an inspect now waits for Docker to finish tearing
    // the container down (tens of ms). The inspect after it adds what the event does not say (OOM, an error).
    const died = event.action === 'die' ? this.diedStatus(event) : null;
    if (died) await this.report([died]);
    await this.reportNow(event.id);
  }

  /** One container's status, read now and reported if it changed. */
  async reportNow(containerId: string): Promise<void> {
    const status = await this.statusOf(containerId);
    if (status) await this.report([status]);
  }

  /** Every Eru container on the node, as Docker has it now; vanished ones are reported as such. */
  async fullCheck(): Promise<void> {
    const { state } = this;
    const seen = new Set<string>();
    const statuses: WorkloadStatus[] = [];
    const mine = await state.listMine();
    state.containers = mine.length;
    for (const info of mine) {
      const id = info.Labels[LABEL.workload];
      if (!id) continue;
      seen.add(id);
      // The listing says running or not; only a container whose state differs from what was reported
      // (or that was never reported) is inspected for the details.
      const last = state.reported.get(id);
      const running = info.State === 'running';
      // Docker's listing says "Up 3 minutes (unhealthy)" or "(health: starting)" when checks fail or are pending.
      const healthy = running && !/\((unhealthy|health: starting)\)/.test(info.Status);
      if (last && last.running === running && last.healthy === healthy && last.reason !== 'container removed') continue;
      const status = await this.statusOf(info.Id);
      if (status) statuses.push(status);
    }
    for (const [id, last] of state.reported) {
      if (!seen.has(id) && last.reason !== 'container removed') statuses.push({ id, running: false, healthy: false, reason: 'container removed' });
    }
    for (const id of state.running.keys()) if (!seen.has(id)) state.running.delete(id);
    await this.report(statuses);
  }

  private async statusOf(containerId: string): Promise<WorkloadStatus | null> {
    const { state } = this;
    try {
      const info = await state.docker.getContainer(containerId).inspect();
      const id = info.Config.Labels?.[LABEL.workload];
      if (!id) return null;
      const docker = info.State;
      if (docker.Running) {
        state.guardReasons.delete(id);
        state.running.set(id, info.Id);
      } else state.running.delete(id);
      const guarded = state.guardReasons.get(id);
      if (guarded) return { id, running: false, healthy: false, exitCode: docker.ExitCode, reason: guarded };
      const health = (docker as { Health?: { Status?: string } }).Health?.Status;
      const qos = docker.Running ? state.qos.get(id) : undefined;
      return {
        id,
        ...(qos ? { qos } : {}),
        running: docker.Running,
        healthy: docker.Running && (health === undefined || health === 'healthy'),
        ...(info.RestartCount ? { restarts: info.RestartCount } : {}),
        ...(docker.Running ? {} : { exitCode: docker.ExitCode }),
        ...(docker.OOMKilled ? { oomKilled: true, reason: 'killed for running out of memory' } : {}),
        ...(!docker.Running && !docker.OOMKilled ? { reason: docker.Error || `exited with ${docker.ExitCode}` } : {}),
        ...(docker.Running && health === 'starting' ? { reason: HEALTH_PENDING } : {}),
        ...(docker.Running && health === 'unhealthy' ? { reason: HEALTH_FAILING } : {}),
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null;
      throw error;
    }
  }

  /** A workload's status from Docker's `die` event alone (its labels and exit code are attributes of the event). */
  private diedStatus(event: ContainerEvent): WorkloadStatus | null {
    const { state } = this;
    const id = event.attributes[LABEL.workload];
    if (!id) return null;
    state.running.delete(id);
    const exitCode = Number(event.attributes.exitCode ?? NaN);
    if (!Number.isInteger(exitCode)) return null;
    return { id, running: false, healthy: false, exitCode, reason: state.guardReasons.get(id) ?? `exited with ${exitCode}` };
  }

  /** Sends what changed since the core last accepted; nothing when nothing did. */
  private async report(statuses: WorkloadStatus[]): Promise<void> {
    const { state } = this;
    const changed = statuses.filter((s) => !sameStatus(state.reported.get(s.id), s));
    if (changed.length === 0) return;
    const answer = await state.client.agent.report(state.node, { workloads: changed });
    for (const status of changed) state.reported.set(status.id, status);
    // Workloads the core no longer has (removed through Eru) are forgotten here too.
    for (const id of answer.unknown) state.reported.delete(id);
  }
}
