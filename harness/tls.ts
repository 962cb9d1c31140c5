import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate made by a TestCa: the files, and their PEM text. */
export interface Issued {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/**
 * A certificate authority for one test, made with `openssl` in a throwaway directory (P-256 keys,
 * valid two days): it issues certificates for servers on 127.0.0.1 / localhost and for clients.
 */
export class TestCa {
  readonly caFile: string;
  private readonly keyFile: string;

  private constructor(
    readonly dir: string,
    readonly name: string,
  ) {
    this.caFile = join(dir, `${name}.pem`);
    this.keyFile = join(dir, `${name}.key`);
  }

  static create(dir: string, name = 'eru-test-ca'): TestCa {
    const ca = new TestCa(dir, name);
    openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', ca.keyFile, '-out', ca.caFile, '-days', '2', '-subj', `/CN=${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return ca;
  }

  get ca(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  /** A certificate named `name` (its CN: etcd takes it as the user of a client certificate), good for serving 127.0.0.1 and localhost and for clients. */
  issue(name: string): Issued {
    const base = join(this.dir, `${this.name}-${name}`);
    const extensions = `${base}.ext`;
    writeFileSync(extensions, 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`]);
    openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', this.caFile, '-CAkey', this.keyFile, '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', extensions]);
    return { certFile: `${base}.pem`, keyFile: `${base}.key`, cert: readFileSync(`${base}.pem`, 'utf8'), key: readFileSync(`${base}.key`, 'utf8') };
  }
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}
