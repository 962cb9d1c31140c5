import { resolve } from 'node:path';
import type { Credentials } from '../lib/credentials.js';
import { invalid } from '../lib/errors.js';
import { EmbeddedStore } from './embedded.js';
import { EtcdStore } from './etcd.js';
import type { Store } from './types.js';

export type { Compare, KeyValue, Lease, Store, TxnOp, TxnResult, Watch, WatchEvent } from './types.js';

/**
 * `embedded:PATH`, `etcd://HOST:PORT[,HOST:PORT...]`, or `etcds://…` for etcd over TLS (its CA, a
 * client certificate if it asks for one); a user and password for etcd with auth enabled.
 */
export function openStore(url: string, credentials: Credentials = {}): Store {
  if (url.startsWith('embedded:')) {
    const path = url.slice('embedded:'.length);
    if (!path) throw invalid(['store'], 'embedded: needs a file path, e.g. embedded:/var/lib/eru/eru.db');
    return new EmbeddedStore(resolve(path));
  }
  const etcd = /^(etcds?):\/\/(.*)$/.exec(url);
  if (etcd) {
    const hosts = etcd[2]!.split(',').filter(Boolean);
    if (hosts.length === 0 || hosts.some((h) => !/^[\w.-]+:\d+$/.test(h))) {
      throw invalid(['store'], `cannot read etcd hosts in "${url}" (${etcd[1]}://HOST:PORT[,HOST:PORT...])`);
    }
    const tls = etcd[1] === 'etcds';
    if (!tls && (credentials.ca || credentials.cert)) throw invalid(['store'], `certificates are for etcds:// (TLS); "${url}" is plain`);
    if (Boolean(credentials.cert) !== Boolean(credentials.key)) throw invalid(['store'], 'a client certificate needs its key, and a key its certificate');
    if (Boolean(credentials.user) !== Boolean(credentials.password)) throw invalid(['store'], 'an etcd user needs a password, and a password its user');
    return new EtcdStore(hosts, tls, credentials);
  }
  throw invalid(['store'], `unknown store "${url}" (embedded:PATH, etcd://HOST:PORT or etcds://HOST:PORT)`);
}
