import type { AgentState } from '../state.js';
import { UsageMeter } from '../usage.js';
import type { AgentHook } from './types.js';

interface Heartbeat {
  cpu: number[];
  workloads: Record<string, number>;
  throttled: Record<string, number>;
}

/** Measured use in every heartbeat: each core's busy share, each running workload's CPU (usage.ts). */
export class UsageHook implements AgentHook {
  readonly name = 'usage';
  private readonly meter = new UsageMeter();
  private state: AgentState | undefined;
  /** The last figures sent, so an extra heartbeat (a volume just made) repeats them instead of measuring a few milliseconds. */
  private last: Heartbeat = { cpu: [], workloads: {}, throttled: {} };

  constructor(state: AgentState) {
    this.state = state;
  }

  heartbeat(measure: boolean): Heartbeat {
    if (measure && this.state) this.last = { cpu: this.meter.cores(), ...this.meter.workloads(this.state.running) };
    return this.last;
  }
}
