import { containerCpuNs, containerThrottledNs, coreTicks } from './sampler.js';

/**
 * What the heartbeat carries: each core's use and each running workload's CPU since the previous
 * heartbeat, so the dashboard can shade an idle exclusive core or a saturated fragment core.
 */
export class UsageMeter {
  private lastCores: Array<{ busy: number; total: number }> = [];
  private readonly lastWorkloads = new Map<string, { ns: number; at: number; throttledNs: number | null }>();

  /** Each core's use (0–1) since the last call; 0 on the first. */
  cores(): number[] {
    const now = coreTicks();
    const use = Array.from(now, (tick, core) => {
      const before = this.lastCores[core];
      if (!tick || !before || tick.total <= before.total) return 0;
      return round(Math.min(1, Math.max(0, (tick.busy - before.busy) / (tick.total - before.total))));
    });
    this.lastCores = now;
    return use;
  }

  /**
   * Each running workload's CPU (in cores) since the last call, and the share of that time its quota
   * held it throttled (a canary is compared on it: an idle workload is never throttled, a starved one
   * nearly always), by workload id; `running` maps it to its container's full id.
   */
  workloads(running: ReadonlyMap<string, string>): { workloads: Record<string, number>; throttled: Record<string, number> } {
    const use: Record<string, number> = {};
    const throttled: Record<string, number> = {};
    const at = performance.now();
    for (const [workload, container] of running) {
      const ns = containerCpuNs(container);
      if (ns === null) continue;
      const throttledNs = containerThrottledNs(container);
      const before = this.lastWorkloads.get(workload);
      this.lastWorkloads.set(workload, { ns, at, throttledNs });
      if (!before || at <= before.at) continue;
      use[workload] = round(Math.max(0, (ns - before.ns) / 1e6 / (at - before.at)));
      if (throttledNs !== null && before.throttledNs !== null) throttled[workload] = round(Math.min(1, Math.max(0, (throttledNs - before.throttledNs) / 1e6 / (at - before.at))));
    }
    for (const workload of this.lastWorkloads.keys()) if (!running.has(workload)) this.lastWorkloads.delete(workload);
    return { workloads: use, throttled };
  }
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
