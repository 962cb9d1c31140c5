import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A daemon the tests and benches start (eru core, eru agent, dockerd, docker-registry, …): its
 * output kept (the last `keep` characters) for failure messages, and stopped with SIGTERM, then
 * SIGKILL after a grace period. Shared by test/ and bench/.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  output = '';

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    private readonly keep = 100_000,
    /** More environment for the process (a token, kept off its command line). */
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  start(): this {
    const child = spawn(this.command, [...this.args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.env } });
    const append = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-this.keep);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.child = child;
    return this;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.command} is not running`);
    return this.child.pid;
  }

  /** The exit code once it has exited on its own, else null. */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Sends `signal` (SIGTERM by default), then SIGKILL after `graceMs`, and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
