/**
 * The store interface: etcd-shaped, and all that higher layers may use. Two backends implement it
 * (embedded SQLite for one machine, etcd for a cluster) and pass one conformance suite.
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was created (its current life). */
  createRevision: number;
  /** Revision of the last change to the key. */
  modRevision: number;
  /** Changes since creation, 1 on creation. */
  version: number;
  /** Lease the key is bound to, if any. */
  lease?: string;
}

/** A transaction guard: the key's last change is at `modRevision`; 0 means the key must not exist. */
export interface Compare {
  key: string;
  modRevision: number;
}

export type TxnOp = { type: 'put'; key: string; value: string; lease?: string } | { type: 'delete'; key: string };

export interface TxnResult {
  succeeded: boolean;
  /** The store's revision after the transaction (unchanged when it failed). */
  revision: number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value; absent for deletes. */
  value?: string;
  revision: number;
}

export interface Lease {
  readonly id: string;
  readonly ttlSeconds: number;
  /** Pushes the expiry TTL seconds into the future; rejects when the lease is already gone. */
  keepAlive(): Promise<void>;
  /** Ends the lease now; its keys are deleted. */
  revoke(): Promise<void>;
}

export interface Watch {
  close(): Promise<void>;
}

/** How a range reads. */
export interface RangeOptions {
  /** Only keys last changed after this revision. */
  after?: number;
  /** Keys per request (a backend reads a large prefix in pages, all at one revision); default 1000. */
  pageSize?: number;
  /** Only keys after this one (a page of a listing continues after the last key of the one before). */
  startAfter?: string;
  /** At most this many keys: one page of a listing. */
  limit?: number;
}

export interface Store {
  /** A name for messages and logs, e.g. `embedded:/var/lib/eru/eru.db`. */
  readonly description: string;
  get(key: string): Promise<KeyValue | null>;
  /** Several keys at once (one round trip per MAX_TXN_OPS keys on etcd), in the order given; null for those absent. */
  getMany(keys: readonly string[]): Promise<Array<KeyValue | null>>;
  /** Every key under `prefix`, in key order (read in pages, at one revision). */
  range(prefix: string, options?: RangeOptions): Promise<KeyValue[]>;
  /** The names of the keys under `prefix`, in key order, without their values (cheap on a large prefix). */
  rangeKeys(prefix: string): Promise<string[]>;
  /** Returns the revision of the write. */
  put(key: string, value: string, options?: { lease?: string }): Promise<number>;
  /** True when the key existed. */
  delete(key: string): Promise<boolean>;
  /** Applies `ops` atomically if every compare holds. */
  txn(compares: Compare[], ops: TxnOp[]): Promise<TxnResult>;
  grantLease(ttlSeconds: number): Promise<Lease>;
  /** Delivers every later change under `prefix`, in revision order. */
  watch(prefix: string, onEvent: (event: WatchEvent) => void): Promise<Watch>;
  close(): Promise<void>;
}
