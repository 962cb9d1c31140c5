import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3, Range } from 'etcd3';
import { freePort } from './core.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';
import type { Issued, TestCa } from './tls.js';

/**
 * A throwaway etcd on 127.0.0.1 serving clients over TLS only, asking for client certificates
 * signed by the test CA, with auth on: `root`, and a user `eru` whose role may read and write /eru/.
 */
export class TlsEtcd {
  private constructor(
    private readonly process: ManagedProcess,
    private readonly dir: string,
    readonly port: number,
    readonly password: string,
  ) {}

  get url(): string {
    return `etcds://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.process.output;
  }

  static async start(ca: TestCa, server: Issued, client: Issued): Promise<TlsEtcd> {
    const dir = mkdtempSync(join(tmpdir(), 'eru-etcd-tls-'));
    const [port, peer] = [await freePort(), await freePort()];
    const etcd = new ManagedProcess('etcd', [
      '--name', 'tls', '--data-dir', join(dir, 'data'),
      '--listen-client-urls', `https://127.0.0.1:${port}`, '--advertise-client-urls', `https://127.0.0.1:${port}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `tls=http://127.0.0.1:${peer}`,
      '--cert-file', server.certFile, '--key-file', server.keyFile, '--trusted-ca-file', ca.caFile, '--client-cert-auth',
    ], 50_000).start();
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const started = new TlsEtcd(etcd, dir, port, password);
    const admin = new Etcd3({
      hosts: `https://127.0.0.1:${port}`,
      credentials: { rootCertificate: Buffer.from(ca.ca), certChain: Buffer.from(client.cert), privateKey: Buffer.from(client.key) },
    });
    try {
      await eventually(
        async () => {
          if (etcd.exitCode !== null) throw new Error(`etcd exited: ${etcd.output.slice(-2000)}`);
          return admin.get('probe').string().then(() => true, () => false);
        },
        30_000,
        'etcd over TLS',
      );
      await admin.user('root').create(`root-${password}`);
      await admin.user('root').addRole('root');
      await admin.role('eru').create();
      await admin.role('eru').grant({ permission: 'Readwrite', range: Range.prefix('/eru/') });
      await admin.user('eru').create(password);
      await admin.user('eru').addRole('eru');
      await admin.auth.authEnable();
    } catch (error) {
      await started.stop();
      throw error;
    } finally {
      admin.close();
    }
    return started;
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A throwaway etcd cluster of `size` members on 127.0.0.1 (plain, no auth), each with its own ports
 * and data directory: members can be SIGKILLed and started again (the same data) to show what a
 * lost member or a lost quorum does to the cores above it.
 */
export class EtcdCluster {
  private readonly members: Array<{ name: string; client: number; peer: number; process: ManagedProcess | undefined }>;

  private constructor(
    private readonly dir: string,
    ports: Array<[number, number]>,
    private readonly extraArgs: readonly string[] = [],
  ) {
    this.members = ports.map(([client, peer], i) => ({ name: `m${i}`, client, peer, process: undefined }));
  }

  /** `etcd://` with every member, as a core is given it. */
  get url(): string {
    return `etcd://${this.members.map((m) => `127.0.0.1:${m.client}`).join(',')}`;
  }

  /** `extraArgs` go to every member (a quota, a compaction policy). */
  static async start(size = 3, extraArgs: readonly string[] = []): Promise<EtcdCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'eru-etcd-cluster-'));
    const ports: Array<[number, number]> = [];
    for (let i = 0; i < size; i++) ports.push([await freePort(), await freePort()]);
    const cluster = new EtcdCluster(dir, ports, extraArgs);
    try {
      for (let i = 0; i < size; i++) cluster.startMember(i);
      const client = new Etcd3({ hosts: cluster.members.map((m) => `http://127.0.0.1:${m.client}`) });
      try {
        await eventually(() => client.put('/probe').value('1').then(() => true, () => false), 30_000, 'the etcd cluster to elect a leader');
      } finally {
        client.close();
      }
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  private startMember(i: number): void {
    const member = this.members[i]!;
    const cluster = this.members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
    member.process = new ManagedProcess('etcd', [
      '--name', member.name, '--data-dir', join(this.dir, member.name),
      '--listen-client-urls', `http://127.0.0.1:${member.client}`, '--advertise-client-urls', `http://127.0.0.1:${member.client}`,
      '--listen-peer-urls', `http://127.0.0.1:${member.peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${member.peer}`,
      '--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', `eru-${this.dir.slice(-6)}`,
      '--heartbeat-interval', '100', '--election-timeout', '1000', ...this.extraArgs,
    ], 50_000).start();
  }

  /** The first member's database size in bytes (its backend file, as `etcdctl endpoint status` reports it). */
  async dbSize(): Promise<number> {
    const client = new Etcd3({ hosts: `http://127.0.0.1:${this.members[0]!.client}` });
    try {
      const status = await client.maintenance.status();
      return Number(status.dbSize);
    } finally {
      client.close();
    }
  }

  /** The running members' process ids (for their CPU and memory figures). */
  get pids(): number[] {
    return this.members.flatMap((m) => (m.process && m.process.exitCode === null ? [m.process.pid] : []));
  }

  /** SIGKILLs member `i`. */
  async kill(i: number): Promise<void> {
    await this.members[i]!.process?.stop('SIGKILL');
  }

  /** Starts member `i` again on its data. */
  restart(i: number): void {
    this.startMember(i);
  }

  async stop(): Promise<void> {
    for (const member of this.members) await member.process?.stop('SIGKILL').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
