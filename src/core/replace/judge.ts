/**
 * A canary judged by itself (`eru replace --canary N --canary-auto DURATION`): over the window, the
 * new instances against the old ones, by what the nodes' agents report — restarts by Docker's policy,
 * stops (with their exit codes), failing health checks, and the share of time their CPU quota held
 * them throttled. Pure: the replace feeds it readings, once a second, and acts on what it says.
 */

/** One instance as its agent last reported it. */
export interface InstanceReading {
  running: boolean;
  healthy: boolean;
  exitCode?: number | undefined;
  /** Docker's restart count. */
  restarts: number;
  /** Share of the agent's last interval its CPU quota held it throttled (0–1), when measured. */
  throttled?: number | undefined;
}

export type Readings = ReadonlyMap<string, InstanceReading>;

/** The new instances may spend this much more of their time throttled than the old before it counts. */
export const THROTTLE_MARGIN = 0.05;

interface GroupTally {
  /** Restarts at the window's start, by instance. */
  baseline: Map<string, number>;
  restarts: Map<string, number>;
  /** Instances seen stopped, with their exit code. */
  stopped: Map<string, number | undefined>;
  samples: number;
  unhealthy: number;
  throttled: number[];
}

export type Verdict = { promote: true; why: string } | { promote: false; why: string };

export class CanaryJudge {
  private readonly groups: Record<'new' | 'old', GroupTally>;

  constructor(
    private readonly newIds: readonly string[],
    private readonly oldIds: readonly string[],
  ) {
    const tally = (): GroupTally => ({ baseline: new Map(), restarts: new Map(), stopped: new Map(), samples: 0, unhealthy: 0, throttled: [] });
    this.groups = { new: tally(), old: tally() };
  }

  /** One round of readings; an instance without one (not reported yet) is left out of the round. */
  observe(readings: Readings): void {
    for (const [group, ids] of [['new', this.newIds], ['old', this.oldIds]] as const) {
      const tally = this.groups[group];
      for (const id of ids) {
        const reading = readings.get(id);
        if (!reading) continue;
        if (!tally.baseline.has(id)) tally.baseline.set(id, reading.restarts);
        tally.restarts.set(id, reading.restarts - tally.baseline.get(id)!);
        if (!reading.running) tally.stopped.set(id, reading.exitCode);
        tally.samples++;
        if (reading.running && !reading.healthy) tally.unhealthy++;
        if (reading.running && reading.throttled !== undefined) tally.throttled.push(reading.throttled);
      }
    }
  }

  /**
   * Worse already, whatever the rest of the window brings: the new instances restarted or stopped more
   * (per instance) than the old ones. Null while they have not.
   */
  worseNow(): string | null {
    const [fresh, old] = [this.groups.new, this.groups.old];
    const restartsNew = perInstance(sum(fresh.restarts), this.newIds.length);
    const restartsOld = perInstance(sum(old.restarts), this.oldIds.length);
    if (restartsNew > restartsOld) return `the new instances restarted ${sum(fresh.restarts)} time(s) (${round(restartsNew)} each), the old ${sum(old.restarts)} (${round(restartsOld)} each)`;
    const stoppedNew = perInstance(fresh.stopped.size, this.newIds.length);
    const stoppedOld = perInstance(old.stopped.size, this.oldIds.length);
    if (stoppedNew > stoppedOld) {
      const codes = [...fresh.stopped.values()].map((code) => (code === undefined ? 'removed' : `exit ${code}`)).join(', ');
      return `${fresh.stopped.size} of ${this.newIds.length} new instance(s) stopped (${codes}), ${old.stopped.size} of ${this.oldIds.length} old`;
    }
    return null;
  }

  /** At the window's end: promote if the new did no worse on restarts, stops, health and throttling. */
  verdict(): Verdict {
    const worse = this.worseNow();
    if (worse) return { promote: false, why: worse };
    const [fresh, old] = [this.groups.new, this.groups.old];
    if (fresh.samples === 0) return { promote: false, why: 'no agent reported on the new instances during the window' };
    const unhealthyNew = perInstance(fresh.unhealthy, fresh.samples);
    const unhealthyOld = perInstance(old.unhealthy, old.samples);
    if (unhealthyNew > unhealthyOld) return { promote: false, why: `the new instances failed their health checks in ${pct(unhealthyNew)} of readings, the old in ${pct(unhealthyOld)}` };
    const throttledNew = mean(fresh.throttled);
    const throttledOld = mean(old.throttled);
    if (throttledNew > throttledOld + THROTTLE_MARGIN) return { promote: false, why: `the new instances spent ${pct(throttledNew)} of their time throttled by their CPU quota, the old ${pct(throttledOld)}` };
    return {
      promote: true,
      why: `over the window the new instances did no worse than the old: restarts ${sum(fresh.restarts)} vs ${sum(old.restarts)}, none stopped, unhealthy ${pct(unhealthyNew)} vs ${pct(unhealthyOld)} of readings, throttled ${pct(throttledNew)} vs ${pct(throttledOld)}`,
    };
  }
}

const sum = (values: ReadonlyMap<string, number>): number => [...values.values()].reduce((a, b) => a + b, 0);
const perInstance = (count: number, of: number): number => (of === 0 ? 0 : count / of);
const mean = (values: readonly number[]): number => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);
const round = (value: number): number => Math.round(value * 100) / 100;
const pct = (share: number): string => `${Math.round(share * 100)} %`;
