import { resolve } from 'node:path';
import { invalid } from '../lib/errors.js';
import { EmbeddedStore } from './embedded.js';
import { EtcdStore } from './etcd.js';
import type { Store } from './types.js';

export type { Compare, KeyValue, Lease, Store, TxnOp, TxnResult, Watch, WatchEvent } from './types.js';

/** `embedded:PATH` or `etcd://HOST:PORT[,HOST:PORT...]`. */
export function openStore(url: string): Store {
  if (url.startsWith('embedded:')) {
    const path = url.slice('embedded:'.length);
    if (!path) throw invalid(['store'], 'embedded: needs a file path, e.g. embedded:/var/lib/eru/eru.db');
    return new EmbeddedStore(resolve(path));
  }
  if (url.startsWith('etcd://')) {
    const hosts = url.slice('etcd://'.length).split(',').filter(Boolean);
    if (hosts.length === 0 || hosts.some((h) => !/^[\w.-]+:\d+$/.test(h))) {
      throw invalid(['store'], `cannot read etcd hosts in "${url}" (etcd://HOST:PORT[,HOST:PORT...])`);
    }
    return new EtcdStore(hosts);
  }
  throw invalid(['store'], `unknown store "${url}" (embedded:PATH or etcd://HOST:PORT)`);
}
