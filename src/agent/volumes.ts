import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { lchown, lstat, mkdir, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { KeptVolume } from '../contract/agents.js';
import { mountHolding, VOLUME_OWNER_UID, volumeDir, volumeKey, type VolumeReport } from '../model/volume.js';

const run = promisify(execFile);

/** How often the use of a ready volume is measured again (MooseFS answers from the master's metadata). */
const MEASURE_EVERY_MS = 10_000;
/** How long after a failure the agent tries a volume again. */
const RETRY_AFTER_MS = 15_000;
const NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A MooseFS mount in /proc/self/mountinfo: a FUSE mount whose source is `mfs#MASTER:PORT`. */
export function mooseFsMounts(mountinfo: string): string[] {
  const mounts: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const mountPoint = before.split(' ')[4];
    const [fsType, source] = after.split(' ');
    if (!mountPoint || !fsType?.startsWith('fuse') || !(source?.startsWith('mfs#') || source?.startsWith('mfs\\043') || fsType === 'fuse.mfs')) continue;
    mounts.push(mountPoint.replace(/\\(\d{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
  }
  return mounts;
}

/**
 * Keeps the shared volumes the core names in its heartbeat answers: each `{root}/{app}/{name}` a
 * directory on MooseFS owned by the app's uid, with its hard quota (`mfssetquota -L`, the sum of file
 * lengths), its use measured; or deleted when the core asks. Nothing is followed through a symbolic
 * link: a link where the app's or the volume's directory should be is refused, so no write lands
 * outside the app's directory. MooseFS's tools talk to the master themselves, from the network the
 * mount's own `mfsmount` is in (entered with nsenter, as for a mount made from another namespace).
 */
export class VolumeKeeper {
  private readonly reports = new Map<string, VolumeReport>();
  private readonly tried = new Map<string, { signature: string; at: number }>();

  constructor(private readonly log: (message: string) => void) {}

  /** Read synchronously, like the heartbeat's other figures (sampler.ts says why). */
  async mounts(): Promise<string[]> {
    let mountinfo = '';
    try {
      mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
    } catch {
      // no /proc: no mounts to report
    }
    return mooseFsMounts(mountinfo);
  }

  /** The last word on each volume, for the heartbeat. */
  current(): Record<string, VolumeReport> {
    return Object.fromEntries(this.reports);
  }

  /** Forgets the reports of volumes the core no longer names (removed, or their node entry gone). */
  retain(shared: { volumes: KeptVolume[] } | undefined): void {
    const named = new Set((shared?.volumes ?? []).map((v) => volumeKey(v.app, v.name)));
    for (const key of [...this.reports.keys()]) {
      if (named.has(key)) continue;
      this.reports.delete(key);
      this.tried.delete(key);
    }
  }

  /** Acts on the answer's volumes; true when a report changed (worth a heartbeat right away). */
  async keep(shared: { root: string; volumes: KeptVolume[] }): Promise<boolean> {
    let changed = false;
    const now = Date.now();
    for (const volume of shared.volumes) {
      const key = volumeKey(volume.app, volume.name);
      const signature = JSON.stringify([shared.root, volume.size ?? null, volume.remove]);
      const last = this.tried.get(key);
      const report = this.reports.get(key);
      const settled = last?.signature === signature && report !== undefined;
      if (settled && (report.ready || report.removed) && now - last.at < MEASURE_EVERY_MS) continue;
      if (settled && report.error && now - last.at < RETRY_AFTER_MS) continue;
      this.tried.set(key, { signature, at: now });
      const next = await this.act(shared.root, volume);
      if (JSON.stringify(next) !== JSON.stringify(report)) changed = true;
      this.reports.set(key, next);
    }
    return changed;
  }

  private async act(root: string, volume: KeptVolume): Promise<VolumeReport> {
    const base = { root, ...(volume.size !== undefined ? { size: volume.size } : {}) };
    try {
      if (!NAME.test(volume.app) || !NAME.test(volume.name)) throw new Error(`"${volume.app}/${volume.name}" is not an app and a volume name`);
      const mount = await mooseFsMountOf(root, await this.mounts());
      const dir = volumeDir(root, volume.app, volume.name);
      await ensureDirectory(dirname(dir), 0, 0o755);
      if (volume.remove) {
        await removeDirectory(dir);
        return { ...base, ready: false, removed: true, measuredAt: new Date().toISOString() };
      }
      await ensureDirectory(dir, VOLUME_OWNER_UID, 0o750);
      const tools = await mfsTools(mount);
      if (volume.size !== undefined) await tools('mfssetquota', ['-L', String(volume.size), dir]);
      const measured = parseQuota((await tools('mfsgetquota', ['-n', dir])).stdout);
      return { ...base, ready: true, ...measured, measuredAt: new Date().toISOString() };
    } catch (error) {
      const message = (error as { stderr?: string }).stderr?.trim().split('\n').pop() || (error as Error).message;
      this.log(`volume ${volume.app}/${volume.name}: ${message}`);
      return { ...base, ready: false, error: message.slice(0, 1000) };
    }
  }

}

/*
 * Three checks keep the agent's writes inside the shared root, each where its path is used, each with
 * one job (test/unit/volumes.test.ts plants a link where only that one looks):
 * - the root itself, by its real path, must be on MooseFS (a root that links elsewhere);
 * - a directory it makes or uses must be one, not a link (mkdir never follows a final link: EEXIST);
 * - a directory it removes must not be a link (rm would remove the link and report the volume gone).
 */

/** The MooseFS mount `root` lies in, by its real path: a root that leads elsewhere through a link is refused. */
export async function mooseFsMountOf(root: string, mounts: string[]): Promise<string> {
  const lexical = mountHolding(root, mounts);
  if (!lexical) throw new Error(`${root} is not on a MooseFS mount (this host has ${mounts.length > 0 ? mounts.join(', ') : 'none'})`);
  await mkdir(root, { recursive: true, mode: 0o755 });
  const real = await realpath(root);
  if (mountHolding(real, mounts) === undefined) throw new Error(`${root} leads to ${real}, which is not on MooseFS`);
  return lexical;
}

/** A directory made (owned by uid) or found; a symbolic link or a file there is an error, never followed. */
export async function ensureDirectory(path: string, uid: number, mode: number): Promise<void> {
  try {
    await mkdir(path, { mode });
    await lchown(path, uid, uid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = await lstat(path);
  if (stat.isSymbolicLink()) throw new Error(`${path} is a symbolic link (to ${await readlink(path)}); Eru does not follow links in the shared root`);
  if (!stat.isDirectory()) throw new Error(`${path} is not a directory`);
}

/** A volume's directory deleted with what it holds; a link there is refused (fs.rm would only unlink it). */
export async function removeDirectory(dir: string): Promise<void> {
  const stat = await lstat(dir).catch(() => undefined);
  if (stat?.isSymbolicLink()) throw new Error(`${dir} is a symbolic link (to ${await readlink(dir)}); Eru does not follow links in the shared root`);
  // fs.rm never follows links inside: it removes the links themselves.
  await rm(dir, { recursive: true, force: true });
}

/** `mfsgetquota -n` → the sum of file lengths and its hard quota. */
export function parseQuota(text: string): { used?: number; quota?: number } {
  const line = text.split('\n').find((l) => /^\s*length\s*\|/.test(l));
  if (!line) return {};
  const [, current, , hard] = line.split('|').map((cell) => cell.trim());
  return { ...(/^\d+$/.test(current ?? '') ? { used: Number(current) } : {}), ...(/^\d+$/.test(hard ?? '') ? { quota: Number(hard) } : {}) };
}

/**
 * Runs a MooseFS tool in the network namespace of the `mfsmount` serving `mount` (found by its
 * process title, "mfsmount (mounted on: PATH)", or its arguments); directly when that is this one's.
 */
async function mfsTools(mount: string): Promise<(tool: string, args: string[]) => Promise<{ stdout: string }>> {
  const own = await readlink('/proc/self/ns/net').catch(() => '');
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const words = cmdline.split('\0');
    if (!words[0]?.includes('mfsmount') || !(cmdline.includes(`mounted on: ${mount})`) || words.includes(mount))) continue;
    const theirs = await readlink(`/proc/${pid}/ns/net`).catch(() => own);
    if (theirs === own) break;
    return (tool, args) => run('nsenter', [`--net=/proc/${pid}/ns/net`, tool, ...args], { timeout: 20_000 });
  }
  return (tool, args) => run(tool, args, { timeout: 20_000 });
}
