import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './core.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

const run = promisify(execFile);

/**
 * A throwaway Redis Cluster of `size` masters on 127.0.0.1 (Debian's redis-server in cluster mode),
 * each with its own client and cluster-bus ports and directory: nodes can be SIGKILLed and started
 * again. `cluster-require-full-coverage no`: with a master gone, the others still serve (pub/sub
 * needs no slots).
 */
export class RedisCluster {
  private readonly nodes: Array<{ port: number; busPort: number; process: ManagedProcess | undefined }>;

  private constructor(
    private readonly dir: string,
    ports: Array<[number, number]>,
  ) {
    this.nodes = ports.map(([port, busPort]) => ({ port, busPort, process: undefined }));
  }

  /** The bus URL a core is given: every node. */
  get url(): string {
    return `redis-cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  static async start(size = 3): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'eru-redis-cluster-'));
    const ports: Array<[number, number]> = [];
    for (let i = 0; i < size; i++) ports.push([await freePort(), await freePort()]);
    const cluster = new RedisCluster(dir, ports);
    try {
      for (let i = 0; i < size; i++) cluster.startNode(i);
      for (const port of cluster.ports) await eventually(async () => (await cli(port, 'ping').catch(() => '')).trim() === 'PONG', 15_000, `redis on ${port}`);
      await run('redis-cli', ['--cluster', 'create', ...cluster.ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
      for (const port of cluster.ports) await eventually(async () => (await cli(port, 'cluster', 'info').catch(() => '')).includes('cluster_state:ok'), 30_000, `the cluster ok as node ${port} sees it`);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private startNode(i: number): void {
    const node = this.nodes[i]!;
    const dir = join(this.dir, `n${i}`);
    mkdirSync(dir, { recursive: true });
    node.process = new ManagedProcess('redis-server', [
      '--bind', '127.0.0.1', '--port', String(node.port), '--cluster-port', String(node.busPort),
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000',
      '--cluster-require-full-coverage', 'no', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no',
    ], 20_000).start();
  }

  /** How many connections named `name` each node has subscribed to some channel (0 for a node that is down). */
  async subscribersNamed(name: string): Promise<number[]> {
    return Promise.all(
      this.nodes.map(async (node) => {
        if (!node.process?.running) return 0;
        const clients = await cli(node.port, 'client', 'list').catch(() => '');
        return clients.split('\n').filter((line) => line.includes(` name=${name} `) && /\bsub=[1-9]/.test(line)).length;
      }),
    );
  }

  /** SIGKILLs node `i`. */
  async kill(i: number): Promise<void> {
    await this.nodes[i]!.process?.stop('SIGKILL');
  }

  /** Starts node `i` again (it rejoins from its nodes.conf). */
  restart(i: number): void {
    this.startNode(i);
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.process?.stop('SIGKILL').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function cli(port: number, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 })).stdout;
}
