import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EruError, ErrorCode } from '../lib/errors.js';
import type { Compare, KeyValue, Lease, RangeOptions, Store, TxnOp, TxnResult, Watch, WatchEvent } from './types.js';

/**
 * The embedded store: one SQLite file, for a single-machine Eru. Revisions, compares and leases
 * behave as etcd's do; watches and leases live in this process, so one core process owns the file at
 * a time (a lock file says which). A lease is only ever held by the process that owns the file, so it
 * lives in memory: a keep-alive (every heartbeat, every second of the leader's) writes nothing, and
 * the keys bound to leases of a process that is gone are deleted when the next one opens the file.
 */

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
  lease: string | null;
}


export class EmbeddedStore implements Store {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly watchers = new Set<{ prefix: string; onEvent: (event: WatchEvent) => void }>();
  /** Fires when the first live lease lapses (not on a fixed tick: an idle core should sleep). */
  private sweeper: { timer: NodeJS.Timeout; at: number } | undefined;
  private readonly lockPath: string;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.description = `embedded:${path}`;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.lockPath = `${path}.lock`;
    takeLock(this.lockPath, path);
    // Only the owner reads the store (it holds tokens' hashes, env sets, nodes' Docker client keys):
    // the file is made 0600 before SQLite opens it, and SQLite gives its -wal and -shm the same mode.
    if (!existsSync(path)) writeFileSync(path, '', { mode: 0o600 });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL,
        mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease TEXT);
      CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease);
      DROP TABLE IF EXISTS leases;
      INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('lease', 0);
    `);
    for (const row of this.statement('SELECT * FROM kv ORDER BY key').all() as Row[]) this.remember(toKeyValue(row));
    // The lock says no other process has the file: keys bound to leases belong to a process that is gone.
    const stale = new Set([...this.kv.values()].flatMap((kv) => (kv.lease !== undefined ? [kv.lease] : [])));
    if (stale.size > 0) this.endLeases([...stale]);
    // Lease ids are never reused across the file's life: the counter is kept, bumped once per process.
    this.statement(`UPDATE meta SET value = value + 1 WHERE name = 'lease'`).run();
    this.leasePrefix = `${(this.statement(`SELECT value FROM meta WHERE name = 'lease'`).get() as { value: number }).value}-`;

  }

  /**
   * Every key in memory, in key order, written through to SQLite: this process holds the file's lock,
   * so no one else writes it, and reads (a pod map reads 40,000 keys) never touch the disk.
   */
  private readonly kv = new Map<string, KeyValue>();
  private readonly keys: string[] = [];
  /** Live leases: id → TTL and when it lapses (this process's clock). */
  private readonly leases = new Map<string, { ttlSeconds: number; expiresAt: number }>();
  /** Lease id → the keys bound to it. */
  private readonly leased = new Map<string, Set<string>>();
  private readonly leasePrefix: string;
  private leaseCounter = 0;

  private remember(entry: KeyValue): void {
    const before = this.kv.get(entry.key);
    if (!before) this.keys.splice(lowerBound(this.keys, entry.key), 0, entry.key);
    if (before?.lease !== undefined) this.leased.get(before.lease)?.delete(entry.key);
    if (entry.lease !== undefined) this.leased.set(entry.lease, (this.leased.get(entry.lease) ?? new Set()).add(entry.key));
    this.kv.set(entry.key, Object.freeze(entry));
  }

  private forget(key: string): void {
    const before = this.kv.get(key);
    if (!before) return;
    this.kv.delete(key);
    if (before.lease !== undefined) this.leased.get(before.lease)?.delete(key);
    this.keys.splice(lowerBound(this.keys, key), 1);
  }

  /** Prepared statements by their SQL, prepared once (preparing costs more than running a short one). */
  private readonly statements = new Map<string, Database.Statement>();
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) this.statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  private revision(): number {
    return (this.statement(`SELECT value FROM meta WHERE name = 'revision'`).get() as { value: number }).value;
  }

  private bump(): number {
    this.statement(`UPDATE meta SET value = value + 1 WHERE name = 'revision'`).run();
    return this.revision();
  }

  async get(key: string): Promise<KeyValue | null> {
    this.assertOpen();
    return this.kv.get(key) ?? null;
  }

  async getMany(keys: readonly string[]): Promise<Array<KeyValue | null>> {
    this.assertOpen();
    return keys.map((key) => this.kv.get(key) ?? null);
  }

  async range(prefix: string, options: RangeOptions = {}): Promise<KeyValue[]> {
    this.assertOpen();
    const found: KeyValue[] = [];
    const from = options.startAfter !== undefined && options.startAfter >= prefix ? options.startAfter : prefix;
    for (let i = lowerBound(this.keys, from); i < this.keys.length && this.keys[i]!.startsWith(prefix); i++) {
      if (options.limit !== undefined && found.length >= options.limit) break;
      if (this.keys[i] === options.startAfter) continue;
      const kv = this.kv.get(this.keys[i]!)!;
      if (options.after === undefined || kv.modRevision > options.after) found.push(kv);
    }
    return found;
  }

  async rangeKeys(prefix: string): Promise<string[]> {
    this.assertOpen();
    const found: string[] = [];
    for (let i = lowerBound(this.keys, prefix); i < this.keys.length && this.keys[i]!.startsWith(prefix); i++) found.push(this.keys[i]!);
    return found;
  }

  async put(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    const result = await this.txn([], [{ type: 'put', key, value, lease: options.lease }]);
    return result.revision;
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    const existed = this.kv.has(key);
    if (existed) await this.txn([], [{ type: 'delete', key }]);
    return existed;
  }

  async txn(compares: Compare[], ops: TxnOp[]): Promise<TxnResult> {
    this.assertOpen();
    const events: WatchEvent[] = [];
    const run = this.db.transaction((): TxnResult => {
      for (const compare of compares) {
        if ((this.kv.get(compare.key)?.modRevision ?? 0) !== compare.modRevision) return { succeeded: false, revision: this.revision() };
      }
      if (ops.length === 0) return { succeeded: true, revision: this.revision() };
      for (const op of ops) {
        if (op.type === 'put' && op.lease !== undefined && !this.leaseAlive(op.lease)) {
          throw new EruError(ErrorCode.LEASE_NOT_FOUND, `lease ${op.lease} does not exist or has expired`);
        }
      }
      const revision = this.bump();
      for (const op of ops) {
        if (op.type === 'put') {
          this.statement(
              `INSERT INTO kv (key, value, create_rev, mod_rev, version, lease) VALUES (?, ?, ?, ?, 1, ?)
               ON CONFLICT (key) DO UPDATE SET value = excluded.value, mod_rev = excluded.mod_rev,
                 version = kv.version + 1, lease = excluded.lease`,
            )
            .run(op.key, op.value, revision, revision, op.lease ?? null);
          events.push({ type: 'put', key: op.key, value: op.value, revision });
        } else if (this.statement('DELETE FROM kv WHERE key = ?').run(op.key).changes > 0) {
          events.push({ type: 'delete', key: op.key, revision });
        }
      }
      return { succeeded: true, revision };
    });
    const result = run.immediate();
    // Committed: the same changes in memory.
    const leases = new Map(ops.filter((op) => op.type === 'put').map((op) => [op.key, op.type === 'put' ? op.lease : undefined]));
    for (const event of events) {
      if (event.type === 'delete') {
        this.forget(event.key);
        continue;
      }
      const before = this.kv.get(event.key);
      const lease = leases.get(event.key);
      this.remember({
        key: event.key,
        value: event.value!,
        createRevision: before?.createRevision ?? event.revision,
        modRevision: event.revision,
        version: (before?.version ?? 0) + 1,
        ...(lease !== undefined ? { lease } : {}),
      });
    }
    this.publish(events);
    return result;
  }

  private leaseAlive(id: string): boolean {
    const lease = this.leases.get(id);
    return lease !== undefined && lease.expiresAt > this.now();
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.assertOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new EruError(ErrorCode.INVALID_ARGUMENT, 'a lease TTL is a whole number of seconds ≥ 1');
    const id = `${this.leasePrefix}${++this.leaseCounter}`;
    this.leases.set(id, { ttlSeconds, expiresAt: this.now() + ttlSeconds * 1000 });
    this.armSweeper();
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        this.assertOpen();
        const lease = this.leases.get(id);
        if (!lease || lease.expiresAt <= this.now()) throw new EruError(ErrorCode.LEASE_NOT_FOUND, `lease ${id} has expired`);
        lease.expiresAt = this.now() + ttlSeconds * 1000;
      },
      revoke: async () => {
        this.assertOpen();
        this.endLeases([id]);
      },
    };
  }

  /** Ends expired leases (their keys deleted, as one change each), then waits for the next to lapse. */
  private expireLeases(): void {
    this.sweeper = undefined;
    if (this.closed) return;
    const now = this.now();
    const expired = [...this.leases].filter(([, lease]) => lease.expiresAt <= now).map(([id]) => id);
    if (expired.length > 0) this.endLeases(expired);
    this.armSweeper();
  }

  /** A timer for the earliest expiry; keep-alives only move expiries later, so it may fire early, never late. */
  private armSweeper(): void {
    if (this.closed || this.leases.size === 0) return;
    let first = Infinity;
    for (const lease of this.leases.values()) first = Math.min(first, lease.expiresAt);
    if (this.sweeper && this.sweeper.at <= first) return;
    clearTimeout(this.sweeper?.timer);
    const timer = setTimeout(() => this.expireLeases(), Math.max(0, first - this.now()) + 1);
    timer.unref();
    this.sweeper = { timer, at: first };
  }

  private endLeases(ids: string[]): void {
    const events: WatchEvent[] = [];
    const doomed = ids.map((id) => [...(this.leased.get(id) ?? [])].sort());
    for (const id of ids) {
      this.leases.delete(id);
      this.leased.delete(id);
    }
    if (doomed.every((keys) => keys.length === 0)) return;
    this.db
      .transaction(() => {
        for (const keys of doomed) {
          if (keys.length === 0) continue;
          const revision = this.bump();
          for (const key of keys) {
            this.statement('DELETE FROM kv WHERE key = ?').run(key);
            events.push({ type: 'delete', key, revision });
          }
        }
      })
      .immediate();
    for (const event of events) this.forget(event.key);
    this.publish(events);
  }

  async watch(prefix: string, onEvent: (event: WatchEvent) => void): Promise<Watch> {
    this.assertOpen();
    const watcher = { prefix, onEvent };
    this.watchers.add(watcher);
    return { close: async () => void this.watchers.delete(watcher) };
  }

  private publish(events: WatchEvent[]): void {
    for (const event of events) {
      for (const watcher of this.watchers) {
        if (!event.key.startsWith(watcher.prefix)) continue;
        try {
          watcher.onEvent(event);
        } catch {
          // A watcher's failure is its own; the store and other watchers go on.
        }
      }
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new EruError(ErrorCode.STORE_CLOSED, `store ${this.description} is closed`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.sweeper?.timer);
    this.watchers.clear();
    this.db.close();
    rmSync(this.lockPath, { force: true });
  }
}

/** The index of the first key in `sorted` that is ≥ `key`. */
function lowerBound(sorted: readonly string[], key: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < key) low = mid + 1;
    else high = mid;
  }
  return low;
}

function toKeyValue(row: Row): KeyValue {
  return {
    key: row.key,
    value: row.value,
    createRevision: row.create_rev,
    modRevision: row.mod_rev,
    version: row.version,
    ...(row.lease !== null ? { lease: row.lease } : {}),
  };
}

/** One process owns an embedded store: a second core on the same file would miss watches and leases. */
function takeLock(lockPath: string, path: string): void {
  try {
    writeFileSync(lockPath, String(process.pid), { flag: 'wx', mode: 0o600 });
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(readFileSync(lockPath, 'utf8'));
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
    throw new EruError(
      ErrorCode.STORE_IN_USE,
      `embedded store ${path} is in use by process ${holder}; run several cores against etcd instead`,
    );
  }
  // A lock left by a process that died: take it over.
  writeFileSync(lockPath, String(process.pid));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
