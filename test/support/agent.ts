import { spawn, type ChildProcess } from 'node:child_process';
import { ERU_BIN } from './cli.js';

/** An `eru agent` process for one node. */
export class AgentProcess {
  private child: ChildProcess | undefined;
  log = '';

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
    if (!this.child?.pid) throw new Error('the agent is not running');
    return this.child.pid;
  }

  start(): void {
    const child = spawn(
      process.execPath,
      [ERU_BIN, 'agent', '--core', this.core, '--node', this.node, '--token', this.token, '--docker', this.docker, '--heartbeat', String(this.intervals.heartbeatMs), '--check', String(this.intervals.checkMs), ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.child = child;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}
