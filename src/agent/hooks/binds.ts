import type { HeartbeatAnswer } from '../../contract/agents.js';
import type { BindCheck, BindReport } from '../../model/bind.js';
import { checkBindSource } from '../binds.js';
import type { AgentState } from '../state.js';
import type { AgentHook } from './types.js';

/** App.yaml binds: each source the core asks about is checked on this node (binds.ts) and the answer sent at once. */
export class BindHook implements AgentHook {
  readonly name = 'binds';
  private readonly reports = new Map<string, BindReport>();

  constructor(private readonly state: AgentState) {}

  heartbeat(): { binds: Record<string, BindReport> } {
    return { binds: Object.fromEntries(this.reports) };
  }

  async onAnswer(answer: HeartbeatAnswer): Promise<void> {
    const asked = new Map((answer.binds ?? []).map((check) => [check.id, check]));
    // Reports of checks the core no longer asks about are done with.
    for (const id of [...this.reports.keys()]) if (!asked.has(id)) this.reports.delete(id);
    const fresh = [...asked.values()].filter((check) => !this.reports.has(check.id));
    if (fresh.length === 0) return;
    for (const check of fresh) this.reports.set(check.id, await this.check(check));
    void this.state.heartbeatNow().catch((error: Error) => this.state.log(`reporting bind checks failed: ${error.message}`));
  }

  private async check(check: BindCheck): Promise<BindReport> {
    try {
      await checkBindSource(check.root, check.app, check.source);
      return { ok: true, at: new Date().toISOString() };
    } catch (error) {
      this.state.log(`bind ${check.source} of ${check.app} refused: ${(error as Error).message}`);
      return { ok: false, error: (error as Error).message.slice(0, 1000), at: new Date().toISOString() };
    }
  }
}
