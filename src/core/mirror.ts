import type { z } from 'zod';
import type { KeyValue, Store, Watch } from '../store/types.js';
import type { Versioned } from './repositories.js';

/** A full read again this often, in case the watch missed something while the store was away. */
const RESYNC_MS = 60_000;

/**
 * A prefix of the store kept in this core's memory by a watch (Kubernetes' informer): for what is read
 * at every deploy and every heartbeat and changes rarely — nodes, their liveness, their ledgers, what
 * their agents are to keep. Reads are then free; they may lag the store by the watch's delay, so
 * what is decided from them is written guarded by the revisions read (a stale ledger fails its
 * transaction and is read again from the store). Values are decoded once per revision.
 *
 * The watch starts before the first full read, and each key keeps the newest revision seen either
 * way, so nothing that changes between the two is lost.
 */
export class Mirror<S extends z.ZodType> {
  private readonly entries = new Map<string, Versioned<z.output<S>> & { name: string }>();
  /** Deleted keys with the revision of their delete, so an older read does not bring them back. */
  private readonly deleted = new Map<string, number>();
  private watch: Watch | undefined;
  /** The newest revision this mirror has seen of its prefix. */
  private highest = 0;
  private timer: NodeJS.Timeout | undefined;
  private ready: Promise<void> | undefined;
  /** The catch-up read under way, and the one that will follow it for those who asked since it began. */
  private running: Promise<void> | undefined;
  private following: { promise: Promise<void>; deletes: boolean } | undefined;

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
    private readonly decode: (kv: Pick<KeyValue, 'key' | 'value' | 'modRevision'>) => z.output<S>,
  ) {}

  /** Starts it on first use; every later call returns at once. */
  started(): Promise<this> {
    this.ready ??= this.start().catch((error: unknown) => {
      this.ready = undefined; // the next use tries again
      throw error;
    });
    return this.ready.then(() => this);
  }

  private async start(): Promise<void> {
    this.watch = await this.store.watch(this.prefix, (event) => {
      if (event.type === 'put') this.apply({ key: event.key, value: event.value!, modRevision: event.revision });
      else this.remove(event.key, event.revision);
    });
    await this.resync();
    this.timer = setInterval(() => void this.resync().catch(() => undefined), RESYNC_MS);
    this.timer.unref();
  }

  /** A full read: newer values taken, keys gone from the store (and not written since) dropped. */
  private async resync(): Promise<void> {
    // The range reads at this revision or later: what it lacks and was last seen before it is gone.
    const before = (await this.store.txn([], [])).revision;
    this.highest = Math.max(this.highest, before);
    const kvs = await this.store.range(this.prefix);
    const present = new Set<string>();
    for (const kv of kvs) {
      present.add(kv.key);
      this.apply(kv);
    }
    for (const [key, entry] of this.entries) if (!present.has(key) && entry.revision <= before) this.entries.delete(key);
    for (const [key, revision] of this.deleted) if (revision <= before) this.deleted.delete(key);
  }

  /** A value seen; `seen` unless it is this core's own write (which says nothing of what others wrote before it). */
  private apply(kv: Pick<KeyValue, 'key' | 'value' | 'modRevision'>, seen = true): void {
    if (seen) this.highest = Math.max(this.highest, kv.modRevision);
    const current = this.entries.get(kv.key);
    if ((current && current.revision >= kv.modRevision) || (this.deleted.get(kv.key) ?? 0) >= kv.modRevision) return;
    try {
      this.entries.set(kv.key, { name: kv.key.slice(this.prefix.length), value: this.decode(kv), revision: kv.modRevision });
      this.deleted.delete(kv.key);
    } catch {
      // A value this core cannot read is left to the reads that report it.
    }
  }

  private remove(key: string, revision: number, seen = true): void {
    if (seen) this.highest = Math.max(this.highest, revision);
    const current = this.entries.get(key);
    if (current && current.revision > revision) return;
    this.entries.delete(key);
    this.deleted.set(key, revision);
  }

  /**
   * Caught up with the store now: what was written under the prefix since the newest revision seen
   * is taken before the caller reads — so a node added a moment ago, through any core, is there. A
   * delete is seen once the watch brings it; with `deletes`, at once (the prefix's key names are read
   * too: what a listing shown to an operator needs).
   *
   * etcd filters a range by revision only after reading all of it, so each catch-up costs the store a
   * read of the whole prefix (5,000 nodes): callers share them. One that asks while a read is under
   * way waits for the next, which begins after its call, so what it sees is still as of its call.
   */
  async fresh(options: { deletes?: boolean } = {}): Promise<this> {
    await this.started();
    const deletes = options.deletes ?? false;
    if (!this.running) {
      await this.catchUp(deletes);
    } else if (this.following) {
      this.following.deletes ||= deletes;
      await this.following.promise;
    } else {
      const following = { deletes, promise: Promise.resolve() };
      following.promise = this.running
        .catch(() => undefined)
        .then(() => {
          this.following = undefined;
          return this.catchUp(following.deletes);
        });
      this.following = following;
      await following.promise;
    }
    return this;
  }

  private catchUp(deletes: boolean): Promise<void> {
    const running = this.readChanges(deletes).finally(() => {
      if (this.running === running) this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async readChanges(deletes: boolean): Promise<void> {
    const before = deletes ? (await this.store.txn([], [])).revision : 0;
    for (const kv of await this.store.range(this.prefix, { after: this.highest })) this.apply(kv);
    if (deletes) {
      const present = new Set(await this.store.rangeKeys(this.prefix));
      for (const [key, entry] of this.entries) if (!present.has(key) && entry.revision <= before) this.remove(key, before);
    }
  }

  /** This core's own transaction, as it committed: seen at once, not when the watch brings it back. */
  written(ops: ReadonlyArray<{ type: 'put'; key: string; value: string } | { type: 'delete'; key: string }>, revision: number): void {
    if (!this.ready) return;
    for (const op of ops) {
      if (!op.key.startsWith(this.prefix)) continue;
      if (op.type === 'put') this.apply({ key: op.key, value: op.value, modRevision: revision }, false);
      else this.remove(op.key, revision, false);
    }
  }

  /** The value under `prefix + name`, as last seen. */
  get(name: string): (Versioned<z.output<S>> & { name: string }) | undefined {
    return this.entries.get(this.prefix + name);
  }

  /** Every value, as last seen. */
  list(): Array<Versioned<z.output<S>> & { name: string }> {
    return [...this.entries.values()];
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.watch?.close();
  }
}
