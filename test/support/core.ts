import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERU_BIN, runEru, type CliResult } from './cli.js';

export const TEST_TOKEN = 'test-admin-token-0123456789';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function tempDir(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** An `eru core` process, as an operator would run it. */
export class CoreProcess {
  private child: ChildProcess | undefined;
  log = '';

  constructor(
    readonly store: string,
    readonly port: number,
    /** More `eru core` options, e.g. ['--bus', url, '--node-ttl', '3']. */
    readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(store: string, extraArgs: string[] = []): Promise<CoreProcess> {
    const core = new CoreProcess(store, await freePort(), extraArgs);
    await core.start();
    return core;
  }

  async start(): Promise<void> {
    const child = spawn(
      process.execPath,
      [ERU_BIN, 'core', '--store', this.store, '--listen', `127.0.0.1:${this.port}`, '--token', TEST_TOKEN, '--log-level', 'warn', ...this.extraArgs],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`eru core exited ${child.exitCode}: ${this.log}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`eru core did not answer: ${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** Runs `eru ARGS` against this core. */
  eru(args: string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
    return runEru(['--url', this.url, '--token', TEST_TOKEN, ...args], options);
  }

  async api<T = unknown>(method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
}
