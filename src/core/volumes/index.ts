import { setTimeout as sleep } from 'node:timers/promises';
import type { VolumeRemoval, VolumeView } from '../../contract/apps.js';
import { conflict, notFound } from '../../lib/errors.js';
import { volumeDir, volumeKey, type VolumeReport } from '../../model/volume.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { del, put, unchanged, type Repositories } from '../repositories.js';

/** How long `eru app volume rm` waits for an agent to delete the directory before it answers "pending". */
const REMOVE_WAIT_MS = 30_000;

/** Workloads, recorded or in a deploy under way, that mount the app's volume. */
async function usersOf(repos: Repositories, app: string, name: string): Promise<string[]> {
  const recorded = (await repos.workloads.list()).map((w) => w.value);
  const underWay = (await repos.intents.list()).flatMap((i) => i.value.workloads);
  const uses = (w: Workload): boolean => w.app === app && w.shared.some((volume) => volume.name === name);
  return [...new Set([...recorded, ...underWay].filter(uses).map((w) => w.id))].sort();
}

/** An app's shared volumes with their quota, use and users (`eru app volumes`). */
export async function appVolumes(context: CoreContext, app: string): Promise<VolumeView[]> {
  const { repos } = context;
  const records = (await repos.volumes.list(app)).map((v) => v.value);
  const holders = (await repos.nodeVolumes.all()).filter(([, a]) => a === app);
  const usage = await repos.alive.usage();
  return Promise.all(
    records.map(async (record) => {
      const reports = holders
        .filter(([, , name]) => name === record.name)
        .map(([node]): [string, VolumeReport | undefined] => [node, usage.get(node)?.volumes[volumeKey(app, record.name)]]);
      const measured = reports
        .map(([, report]) => report)
        .filter((r): r is VolumeReport & { measuredAt: string } => r?.measuredAt !== undefined && r.used !== undefined)
        .sort((a, b) => b.measuredAt.localeCompare(a.measuredAt))[0];
      return {
        ...record,
        ...(measured ? { used: measured.used, measuredAt: measured.measuredAt, ...(measured.quota !== undefined ? { quota: measured.quota } : {}) } : {}),
        users: await usersOf(repos, app, record.name),
        nodes: reports.map(([node, report]) => ({
          node,
          ...(report ? { dir: volumeDir(report.root, app, record.name) } : {}),
          ready: report?.ready ?? false,
          ...(report?.error ? { error: report.error } : {}),
        })),
      };
    }),
  );
}

/**
 * `eru app volume rm`: refused (409, naming them) while any workload uses the volume. Otherwise the
 * volume is marked for removal and the agents of the nodes that kept it delete its directory at their
 * next heartbeat; the first that reports it gone ends the removal. Waits for that, up to 30 s.
 */
export async function removeVolume(context: CoreContext, app: string, name: string): Promise<VolumeRemoval> {
  const { repos } = context;
  const record = await repos.volumes.get(app, name);
  if (!record) throw notFound('volume', `${app}/${name}`);
  const users = await usersOf(repos, app, name);
  if (users.length > 0) throw conflict(`volume ${name} of ${app} is used by ${users.join(', ')}; remove them first`, { users });
  const key = repos.volumes.key(app, name);
  const holders = (await repos.nodeVolumes.all()).filter(([, a, n]) => a === app && n === name).map(([node]) => node);
  if (holders.length === 0) {
    // No node ever prepared it: there is no directory to delete.
    if (!(await repos.commit([unchanged(key, record.revision)], [del(key)]))) throw conflict(`volume ${name} of ${app} changed meanwhile; try again`);
    return { removed: true, message: `volume ${name} of ${app} removed (it had no directory yet)` };
  }
  if (!record.value.removing) {
    if (!(await repos.commit([unchanged(key, record.revision)], [put(key, { ...record.value, removing: new Date().toISOString() })]))) {
      throw conflict(`volume ${name} of ${app} changed meanwhile (a deploy uses it now?); try again`);
    }
  }
  const deadline = Date.now() + REMOVE_WAIT_MS;
  while (Date.now() < deadline) {
    if (!(await repos.volumes.get(app, name))) return { removed: true, message: `volume ${name} of ${app} removed with its data` };
    await sleep(200);
  }
  return { removed: false, message: `volume ${name} of ${app} is marked for removal; the agents of ${holders.join(', ')} have not deleted it yet` };
}

/** Shared volumes of an app: listed with their use and users, removed when unused. */
export class Volumes {
  constructor(private readonly context: CoreContext) {}

  list(app: string): Promise<VolumeView[]> {
    return appVolumes(this.context, app);
  }

  remove(app: string, name: string): Promise<VolumeRemoval> {
    return removeVolume(this.context, app, name);
  }
}
