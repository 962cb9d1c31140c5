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
