import type { DeployEvent } from '../../contract/events.js';
import type { Rollout } from '../../model/rollout.js';
import type { CoreContext } from '../context.js';
import { CanaryJudge, type InstanceReading } from './judge.js';
import { changeRollout } from './rollouts.js';

/** How often a waiting replace looks at its rollout's record (pause, resume, promote, abort) and, judging a canary, at the agents' reports. */
const LOOK_MS = 1000;

/**
 * Between two batches, the replace asks its rollout's record what to do: go on; wait (paused, or a
 * canary waiting to be promoted — or judging itself over its window); or stop and roll back (aborted).
 * The record is in the store, so `eru rollout pause|promote|abort` may be answered by any core.
 */
export class RolloutSteering {
  private pausedSaid = false;
  private promotedSaid = false;

  constructor(
    private readonly context: CoreContext,
    private readonly rollout: Pick<Rollout, 'pod' | 'app' | 'entry' | 'number'>,
    private readonly emit: (event: DeployEvent) => void,
  ) {}

  /** How many more new instances the next batch may start: a canary not yet promoted stops at its count. */
  async room(newCount: number): Promise<number> {
    const canary = (await this.read()).canary;
    return canary && canary.phase !== 'promoted' ? Math.max(0, canary.count - newCount) : Number.POSITIVE_INFINITY;
  }

  /** Waits until the rollout may go on; says why not when it was aborted. */
  async checkpoint(newIds: readonly string[], oldIds: readonly string[]): Promise<{ abort: string } | null> {
    let judge: { judge: CanaryJudge; ends: number } | undefined;
    for (;;) {
      const rollout = await this.read();
      if (rollout.abort !== undefined) return { abort: rollout.abort };
      const canary = rollout.canary;
      if (canary && canary.phase !== 'promoted' && newIds.length >= canary.count) {
        if (canary.phase === 'starting') {
          await changeRollout(this.context, rollout, (r) => ({ ...r, canary: { ...r.canary!, phase: 'waiting' } }));
          this.emit({
            type: 'canary',
            rollout: rollout.number,
            phase: 'waiting',
            instances: [...newIds],
            message: canary.autoSeconds
              ? `canary: ${newIds.length} new instance(s) healthy; comparing them with the ${oldIds.length} old for ${canary.autoSeconds} s before promoting or aborting by itself`
              : `canary: ${newIds.length} new instance(s) healthy; waiting for \`eru rollout promote ${rollout.app} --entry ${rollout.entry}\` (or \`abort\`)`,
          });
        }
        if (canary.autoSeconds !== undefined) {
          judge ??= { judge: new CanaryJudge(newIds, oldIds), ends: Date.now() + canary.autoSeconds * 1000 };
          judge.judge.observe(await this.readings([...newIds, ...oldIds]));
          const worse = judge.judge.worseNow();
          const verdict = worse ? { promote: false, why: worse } : Date.now() >= judge.ends ? judge.judge.verdict() : null;
          if (verdict) await this.decide(rollout, verdict);
        }
        await sleep(LOOK_MS);
        continue;
      }
      if (rollout.paused) {
        if (!this.pausedSaid) this.emit({ type: 'note', message: `rollout ${rollout.number} paused: the batch under way finished; waiting for \`eru rollout resume\`` });
        this.pausedSaid = true;
        await sleep(LOOK_MS / 2);
        continue;
      }
      if (this.pausedSaid) this.emit({ type: 'note', message: `rollout ${rollout.number} resumed` });
      this.pausedSaid = false;
      if (canary?.phase === 'promoted' && !this.promotedSaid) {
        this.promotedSaid = true;
        this.emit({ type: 'canary', rollout: rollout.number, phase: 'promoted', instances: [...newIds], message: `canary ${canary.verdict ?? 'promoted'}; replacing the rest` });
      }
      return null;
    }
  }

  /** The canary's own verdict, written like an operator's promote or abort (one that came first wins). */
  private async decide(rollout: Rollout, verdict: { promote: boolean; why: string }): Promise<void> {
    await changeRollout(this.context, rollout, (r) => {
      if (r.abort !== undefined || r.canary?.phase === 'promoted') return r;
      return verdict.promote ? { ...r, canary: { ...r.canary!, phase: 'promoted', verdict: `promoted by itself: ${verdict.why}` } } : { ...r, abort: `canary aborted by itself: ${verdict.why}` };
    });
  }

  private async read(): Promise<Rollout> {
    const { pod, app, entry, number } = this.rollout;
    const found = await this.context.repos.rollouts.get(pod, app, entry, number);
    if (!found) throw new Error(`rollout ${number} of ${app}/${entry} is gone from the store`);
    return found.value;
  }

  /** Each instance as its node's agent last reported it: its status, and its throttling from the node's heartbeat. */
  private async readings(ids: readonly string[]): Promise<Map<string, InstanceReading>> {
    const { repos } = this.context;
    const usage = await repos.alive.usage();
    const readings = new Map<string, InstanceReading>();
    for (const id of ids) {
      const [status, workload] = await Promise.all([repos.statuses.get(id), repos.workloads.get(id)]);
      if (!status) continue;
      const throttled = workload ? usage.get(workload.value.node)?.throttled[id] : undefined;
      readings.set(id, { running: status.value.running, healthy: status.value.healthy, exitCode: status.value.exitCode, restarts: status.value.restarts ?? 0, throttled });
    }
    return readings;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
