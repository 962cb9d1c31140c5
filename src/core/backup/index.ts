import type { Snapshot } from '../../contract/backup.js';
import type { Store } from '../../store/types.js';
import type { CoreContext } from '../context.js';
import { Repositories } from '../repositories.js';

/**
 * Snapshots of the store (`eru store snapshot save FILE`) and restoring one (`eru core --restore
 * FILE`): every record at one revision, the lease-bound ones aside. For etcd, `etcdctl snapshot` does
 * the same at the store's level (README, operators); this one works for the embedded store too.
 */
export class Backups {
  constructor(private readonly context: CoreContext) {}

  async snapshot(): Promise<Snapshot> {
    const { repos } = this.context;
    return { format: 'eru-snapshot/1', createdAt: new Date().toISOString(), store: repos.description, records: await repos.exportRecords() };
  }
}

/** Writes a snapshot into an empty store, before a core starts on it; returns how many records. */
export function restoreSnapshot(store: Store, snapshot: Snapshot): Promise<number> {
  return new Repositories(store).importRecords(snapshot.records);
}
