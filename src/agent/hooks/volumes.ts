import type { HeartbeatAnswer } from '../../contract/agents.js';
import type { VolumeReport } from '../../model/volume.js';
import type { AgentState } from '../state.js';
import { VolumeKeeper } from '../volumes.js';
import type { AgentHook } from './types.js';

/** Shared volumes: what the core's heartbeat answers name is kept (volumes.ts); each heartbeat says what was done and which MooseFS mounts the host has. */
export class VolumeHook implements AgentHook {
  readonly name = 'volumes';
  private readonly keeper: VolumeKeeper;
  private keeping = false;

  constructor(private readonly state: AgentState) {
    this.keeper = new VolumeKeeper(state.log);
  }

  async heartbeat(): Promise<{ moosefs: string[]; volumes: Record<string, VolumeReport> }> {
    return { moosefs: await this.keeper.mounts(), volumes: this.keeper.current() };
  }

  onAnswer(answer: HeartbeatAnswer): void {
    if (this.keeping) return;
    this.keeper.retain(answer.shared);
    if (answer.shared) void this.keep(answer.shared);
  }

  /** When a report changed, the core hears it at once (a deploy waits for it). */
  private async keep(shared: NonNullable<HeartbeatAnswer['shared']>): Promise<void> {
    this.keeping = true;
    try {
      if (await this.keeper.keep(shared)) await this.state.heartbeatNow();
    } catch (error) {
      this.state.log(`keeping shared volumes failed: ${(error as Error).message}`);
    } finally {
      this.keeping = false;
    }
  }
}
