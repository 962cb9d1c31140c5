import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { EruClient } from 'eru-client';
import { nodeTransport } from 'eru-client/node';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { ERU_BIN, runEru, spawnEru, type CliResult, type RunOptions } from './cli.js';
import { ManagedProcess } from './process.js';

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

/** An `eru core` process, as an operator would run it, and a client of it. */
export class CoreProcess {
  private process: ManagedProcess | undefined;
  /** Output of earlier runs of this core (it may be stopped and started again). */
  private earlier = '';
  readonly client: EruClient;

  constructor(
    readonly store: string,
    readonly port: number,
    /** More `eru core` options, e.g. ['--bus', url, '--node-ttl', '3']. */
    readonly extraArgs: string[] = [],
    /** Serving HTTPS (given --tls-cert and --tls-key): the CA its certificate is signed by, which clients here trust. */
    readonly tls?: { caFile: string; client?: { certFile: string; keyFile: string } },
  ) {
    const clientTls = tls ? { ca: readFileSync(tls.caFile, 'utf8'), ...(tls.client ? { cert: readFileSync(tls.client.certFile, 'utf8'), key: readFileSync(tls.client.keyFile, 'utf8') } : {}) } : undefined;
    this.client = new EruClient({ url: this.url, token: TEST_TOKEN, ...(clientTls ? { tls: clientTls, transport: nodeTransport(clientTls) } : {}) });
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** The client options of the CLI for this core's TLS. */
  get tlsArgs(): string[] {
    if (!this.tls) return [];
    return ['--ca', this.tls.caFile, ...(this.tls.client ? ['--client-cert', this.tls.client.certFile, '--client-key', this.tls.client.keyFile] : [])];
  }

  /** The core process's id (for benches that measure it). */
  get pid(): number {
    if (!this.process) throw new Error('eru core is not running');
    return this.process.pid;
  }

  /** Everything the core printed, over all its runs. */
  get log(): string {
    return this.earlier + (this.process?.output ?? '');
  }

  static async start(store: string, extraArgs: string[] = [], tls?: CoreProcess['tls']): Promise<CoreProcess> {
    const core = new CoreProcess(store, await freePort(), extraArgs, tls);
    await core.start();
    return core;
  }

  async start(): Promise<void> {
    this.earlier = this.log;
    // ERU_CORE_PROFILE=DIR: each core writes a V8 CPU profile there when it stops (finding what a bench spends its time on).
    const profile = process.env.ERU_CORE_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.ERU_CORE_PROFILE}`] : [];
    const started = new ManagedProcess(process.execPath, [...profile, ERU_BIN, 'core', '--store', this.store, '--listen', `127.0.0.1:${this.port}`, '--token', TEST_TOKEN, '--log-level', 'warn', ...this.extraArgs], 10_000_000).start();
    this.process = started;
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`eru core exited ${started.exitCode}: ${this.log}`);
      try {
        if ((await this.client.call('GET', '/healthz', undefined, { token: null })).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`eru core did not answer: ${this.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.process?.stop(signal);
  }

  /** Runs `eru ARGS` against this core. */
  eru(args: string[], options: RunOptions = {}): Promise<CliResult> {
    return runEru(['--url', this.url, '--token', TEST_TOKEN, ...this.tlsArgs, ...args], options);
  }

  /** Starts `eru ARGS` against this core and hands over the running process (stdin open). */
  eruRunning(args: string[]): ChildProcessWithoutNullStreams {
    return spawnEru(['--url', this.url, '--token', TEST_TOKEN, ...this.tlsArgs, ...args]);
  }

  /** One API call, answered whatever its status; `token: null` sends none. */
  api<T = unknown>(method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN): Promise<{ status: number; body: T }> {
    return this.client.call<T>(method, path, body, { token });
  }
}
