import { chown, lstat, mkdir, readlink, realpath } from 'node:fs/promises';
import { APP_UID } from '../model/user.js';

/**
 * A bind source checked on this node, on real paths, just before the core makes a container that
 * binds it (core/apps/binds.ts asks; hooks/binds.ts answers):
 * - it lies under `{root}/{app}/` (as text and as its real path);
 * - no component from `/` to it is a symbolic link (Docker follows links, so a link planted anywhere
 *   on the way would mount whatever it points at: the host's `/`, its Docker socket);
 * - every directory above it is root's and writable by no one else (a sticky directory such as /tmp
 *   will do: no one else may rename what root owns there), so nothing can swap one before the mount.
 * What is missing is made: directories above as root's (0755), the source itself as the app's (0750).
 * Throws the reason it is refused.
 */
export async function checkBindSource(root: string, app: string, source: string): Promise<void> {
  const appDir = `${root}/${app}`;
  if (source !== appDir && !source.startsWith(`${appDir}/`)) throw new Error(`${source} is not under ${appDir}/, the app's directory of the bind root`);
  const parts = source.split('/').filter(Boolean);
  let path = '';
  for (const [i, part] of parts.entries()) {
    path += `/${part}`;
    const leaf = i === parts.length - 1;
    let stat = await lstat(path).catch(() => undefined);
    if (!stat) {
      await mkdir(path, { mode: leaf ? 0o750 : 0o755 });
      if (leaf) await chown(path, APP_UID, APP_UID);
      stat = await lstat(path);
    }
    if (stat.isSymbolicLink()) throw new Error(`${path} is a symbolic link (to ${await readlink(path)}): Eru never binds through a link`);
    if (leaf) break;
    if (!stat.isDirectory()) throw new Error(`${path} is not a directory`);
    const othersWrite = (stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0;
    if (stat.uid !== 0 || othersWrite) {
      throw new Error(`${path} is not root's alone (owner ${stat.uid}, mode ${(stat.mode & 0o7777).toString(8)}): every directory above a bind must be, so that nothing can swap one before the mount`);
    }
  }
  const real = await realpath(source);
  if (real !== source) throw new Error(`${source} leads to ${real}`);
}
