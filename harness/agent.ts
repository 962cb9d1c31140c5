import { ERU_BIN } from './cli.js';
import { ManagedProcess } from './process.js';

/** An `eru agent` process for one node. */
export class AgentProcess {
  private process: ManagedProcess | undefined;

  constructor(
    readonly core: string,
    readonly node: string,
    readonly token: string,
    readonly docker: string,
    /** Heartbeat and full-check intervals; short by default so tests run fast. */
    readonly intervals: { heartbeatMs: number; checkMs: number } = { heartbeatMs: 500, checkMs: 2000 },
    /** More `eru agent` options. */
    readonly extraArgs: string[] = [],
  ) {}

  get pid(): number {
    if (!this.process) throw new Error('the agent is not running');
    return this.process.pid;
  }

  get log(): string {
    return this.process?.output ?? '';
  }

  start(): void {
    const { heartbeatMs, checkMs } = this.intervals;
    // The token in the environment, as an operator would keep it off the command line.
    this.process = new ManagedProcess(
      process.execPath,
      [ERU_BIN, 'agent', '--core', this.core, '--node', this.node, '--docker', this.docker, '--heartbeat', String(heartbeatMs), '--check', String(checkMs), ...this.extraArgs],
      100_000,
      { ERU_NODE_TOKEN: this.token },
    ).start();
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.process?.stop(signal);
  }
}
