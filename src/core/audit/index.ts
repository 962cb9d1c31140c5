import { AUDIT_KEPT, type AuditEntry } from '../../model/audit.js';
import type { AuditQuery } from '../../contract/audit.js';
import { randomSuffix } from '../../lib/ids.js';
import { durationMs } from '../../lib/time.js';
import type { Log } from '../../lib/log.js';
import { del, put, type Repositories } from '../repositories.js';

/** Records written between two trims of the oldest entries (per core). */
const TRIM_EVERY = 100;
/** Deletes per transaction (etcd takes 128 operations at most). */
const DELETES_AT_ONCE = 100;

/**
 * The audit: every change asked of the core, kept in the store (so any core shows what all did) with
 * a bound of AUDIT_KEPT entries. An entry is written after the answer (it never slows or fails a
 * request); one that cannot be written is logged.
 */
export class Audit {
  private sinceTrim = 0;
  private trimming: Promise<void> | undefined;

  constructor(
    private readonly repos: Repositories,
    private readonly log: Log,
    private readonly kept = AUDIT_KEPT,
  ) {}

  /** Resolves once written (or logged as not written); callers need not wait. */
  record(entry: Omit<AuditEntry, 'id' | 'time'>, now = new Date()): Promise<void> {
    const full: AuditEntry = { id: `${now.getTime().toString(36).padStart(9, '0')}-${randomSuffix()}`, time: now.toISOString(), ...entry };
    return this.repos
      .commit([], [put(this.repos.audit.key(full.id), full)])
      .then(() => {
        if (++this.sinceTrim >= TRIM_EVERY) this.trim();
      })
      .catch((error: unknown) => this.log.warn({ err: error, audit: full }, 'cannot record an audit entry'));
  }

  /** The newest first, as asked. */
  async list(query: AuditQuery, now = Date.now()): Promise<AuditEntry[]> {
    const since = query.since === undefined ? undefined : /^\d+[smhd]$/.test(query.since) ? now - durationMs(query.since) : Date.parse(query.since);
    const entries = (await this.repos.audit.list()).map((e) => e.value);
    const chosen: AuditEntry[] = [];
    for (let i = entries.length - 1; i >= 0 && chosen.length < query.limit; i--) {
      const entry = entries[i]!;
      if (since !== undefined && Date.parse(entry.time) < since) break;
      // A call that changed several apps (apply) names them all: `a,b`.
      if (query.app && !(entry.app ?? '').split(',').includes(query.app)) continue;
      if (query.token && entry.token !== query.token) continue;
      chosen.push(entry);
    }
    return chosen;
  }

  /** Deletes the oldest entries beyond the bound; at most one trim at a time. */
  trim(): Promise<void> {
    this.sinceTrim = 0;
    this.trimming ??= (async () => {
      const entries = await this.repos.audit.list();
      const over = entries.slice(0, Math.max(0, entries.length - this.kept));
      for (let i = 0; i < over.length; i += DELETES_AT_ONCE) {
        await this.repos.commit([], over.slice(i, i + DELETES_AT_ONCE).map((e) => del(this.repos.audit.key(e.value.id))));
      }
    })()
      .catch((error: unknown) => this.log.warn({ err: error }, 'cannot trim the audit'))
      .finally(() => (this.trimming = undefined));
    return this.trimming;
  }
}
