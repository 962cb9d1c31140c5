import { formatMemory } from '../../lib/units.js';
import { sampleContainers, sampleNode } from '../sampler.js';
import type { AgentState } from '../state.js';
import type { StatusHook } from './status.js';
import type { AgentHook } from './types.js';

const OOM_CHECK_MS = 2000;

/**
 * The soft OOM guard: with the host short of memory (available under `threshold` bytes), the running
 * Eru container furthest above its declared memory (no declaration counts as 0) is stopped, and its
 * status says why.
 */
export class OomGuard implements AgentHook {
  readonly name = 'oom-guard';
  private state!: AgentState;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly threshold: number,
    private readonly status: StatusHook,
  ) {}

  async start(state: AgentState): Promise<void> {
    this.state = state;
    this.timer = setInterval(() => void this.guard().catch((e: Error) => state.log(`oom guard failed: ${e.message}`)), OOM_CHECK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One look; the workload stopped, or null. */
  async guard(): Promise<string | null> {
    const { state, threshold } = this;
    const node = await sampleNode();
    if (node.memoryAvailable >= threshold) return null;
    const containers = await sampleContainers(state);
    const victim = containers
      .map((c) => ({ c, over: c.memoryUsage - c.memoryLimit }))
      .sort((a, b) => b.over - a.over || b.c.memoryUsage - a.c.memoryUsage)[0];
    if (!victim) return null;
    const reason =
      `stopped by the soft OOM guard: the host had ${formatMemory(node.memoryAvailable)} available (threshold ${formatMemory(threshold)}); ` +
      `it used ${formatMemory(victim.c.memoryUsage)}, ${victim.c.memoryLimit > 0 ? `declared ${formatMemory(victim.c.memoryLimit)}` : 'declared none'}`;
    state.guardReasons.set(victim.c.workload, reason);
    state.log(`${victim.c.workload}: ${reason}`);
    await state.docker.getContainer(victim.c.workload).kill().catch(() => undefined);
    await this.status.reportNow(victim.c.workload);
    return victim.c.workload;
  }
}
