import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { EruError, ErrorCode } from '../lib/errors.js';
import type { Compare, KeyValue, Lease, Store, TxnOp, TxnResult, Watch, WatchEvent } from './types.js';

/**
 * The embedded store: one SQLite file, for a single-machine Eru. Revisions, compares and leases
 * behave as etcd's do; watches and lease expiry live in this process, so one core process owns the
 * file at a time (a lock file says which).
 */

interface Row {
  key: string;
  value: string;
  create_rev: number;
  mod_rev: number;
  version: number;
  lease: string | null;
}

const SWEEP_INTERVAL_MS = 100;

export class EmbeddedStore implements Store {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly watchers = new Set<{ prefix: string; onEvent: (event: WatchEvent) => void }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly lockPath: string;
  private closed = false;

  constructor(
    private readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    this.description = `embedded:${path}`;
    mkdirSync(dirname(path), { recursive: true });
    this.lockPath = `${path}.lock`;
    takeLock(this.lockPath, path);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS kv (
        key TEXT PRIMARY KEY, value TEXT NOT NULL, create_rev INTEGER NOT NULL,
        mod_rev INTEGER NOT NULL, version INTEGER NOT NULL, lease TEXT);
      CREATE INDEX IF NOT EXISTS kv_lease ON kv (lease);
      CREATE TABLE IF NOT EXISTS leases (id TEXT PRIMARY KEY, ttl INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta VALUES ('revision', 0), ('lease', 0);
    `);
    // The lock says no other process has the file: leases from before belong to a process that is gone.
    for (const row of this.statement('SELECT * FROM kv ORDER BY key').all() as Row[]) this.remember(toKeyValue(row));
    const stale = this.statement('SELECT id FROM leases').all() as Array<{ id: string }>;
    if (stale.length > 0) this.endLeases(stale.map((l) => l.id));
    this.sweeper = setInterval(() => this.expireLeases(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /**
   * Every key in memory, in key order, written through to SQLite: this process holds the file's lock,
   * so no one else writes it, and reads (a pod map reads 40,000 keys) never touch the disk.
   */
  private readonly kv = new Map<string, KeyValue>();
  private readonly keys: string[] = [];

  private remember(entry: KeyValue): void {
    if (!this.kv.has(entry.key)) this.keys.splice(lowerBound(this.keys, entry.key), 0, entry.key);
    this.kv.set(entry.key, Object.freeze(entry));
  }

  private forget(key: string): void {
    if (!this.kv.delete(key)) return;
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

  async range(prefix: string): Promise<KeyValue[]> {
    this.assertOpen();
    const found: KeyValue[] = [];
    for (let i = lowerBound(this.keys, prefix); i < this.keys.length && this.keys[i]!.startsWith(prefix); i++) found.push(this.kv.get(this.keys[i]!)!);
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
    const row = this.statement('SELECT expires_at FROM leases WHERE id = ?').get(id) as { expires_at: number } | undefined;
    return row !== undefined && row.expires_at > this.now();
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    this.assertOpen();
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new EruError(ErrorCode.INVALID_ARGUMENT, 'a lease TTL is a whole number of seconds ≥ 1');
    const id = this.db.transaction(() => {
      this.statement(`UPDATE meta SET value = value + 1 WHERE name = 'lease'`).run();
      const next = (this.statement(`SELECT value FROM meta WHERE name = 'lease'`).get() as { value: number }).value;
      const leaseId = String(next);
      this.statement('INSERT INTO leases VALUES (?, ?, ?)').run(leaseId, ttlSeconds, this.now() + ttlSeconds * 1000);
      return leaseId;
    })();
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        this.assertOpen();
        const changed = this.statement('UPDATE leases SET expires_at = ? WHERE id = ? AND expires_at > ?')
          .run(this.now() + ttlSeconds * 1000, id, this.now()).changes;
        if (changed === 0) throw new EruError(ErrorCode.LEASE_NOT_FOUND, `lease ${id} has expired`);
      },
      revoke: async () => {
        this.assertOpen();
        this.endLeases([id]);
      },
    };
  }

  /** Deletes expired leases and their keys, as one change each. */
  private expireLeases(): void {
    if (this.closed) return;
    const expired = this.statement('SELECT id FROM leases WHERE expires_at <= ?').all(this.now()) as Array<{ id: string }>;
    if (expired.length > 0) this.endLeases(expired.map((l) => l.id));
  }

  private endLeases(ids: string[]): void {
    const events: WatchEvent[] = [];
    this.db
      .transaction(() => {
        for (const id of ids) {
          const keys = this.statement('SELECT key FROM kv WHERE lease = ? ORDER BY key').all(id) as Array<{ key: string }>;
          this.statement('DELETE FROM leases WHERE id = ?').run(id);
          if (keys.length === 0) continue;
          const revision = this.bump();
          this.statement('DELETE FROM kv WHERE lease = ?').run(id);
          for (const { key } of keys) events.push({ type: 'delete', key, revision });
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
    clearInterval(this.sweeper);
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
    writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
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
