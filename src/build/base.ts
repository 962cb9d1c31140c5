import { spawn, execFile } from 'node:child_process';
import { access, chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { followProgress } from '../engine/progress.js';
import { EruError } from '../lib/errors.js';

const run = promisify(execFile);

/**
 * Base images made on the spot: nothing can be pulled on the machines Eru is set up on, so a base is
 * made from what Debian installs. `busybox` is a static busybox with its applets linked in /bin.
 */
export const BASE_IMAGES = {
  busybox: { image: 'local/busybox:1', describe: 'busybox from Debian busybox-static (/bin/busybox), its applets in /bin' },
} as const;
export type BaseKind = keyof typeof BASE_IMAGES;
export const BASE_KINDS = Object.keys(BASE_IMAGES) as BaseKind[];

const BUSYBOX = '/bin/busybox';

/** A busybox root filesystem in a temp directory. */
async function busyboxRoot(): Promise<{ dir: string; remove: () => Promise<void> }> {
  try {
    await access(BUSYBOX);
  } catch {
    throw new EruError('PRECONDITION_FAILED', `${BUSYBOX} not found on the core's machine: apt-get install busybox-static`, { status: 412 });
  }
  const { stdout } = await run(BUSYBOX, ['--list']);
  // Debian's dynamically linked busybox has the same path but would not run in an empty image.
  if (!stdout.includes('sh')) throw new EruError('PRECONDITION_FAILED', `${BUSYBOX} lists no sh applet`, { status: 412 });
  const dir = await mkdtemp(join(tmpdir(), 'eru-base-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    for (const sub of ['bin', 'tmp', 'etc', 'root']) await mkdir(join(dir, sub), { recursive: true });
    // Any user may write /tmp (sticky, like every distribution's): apps do not run as root.
    await chmod(join(dir, 'tmp'), 0o1777);
    await chmod(join(dir, 'root'), 0o700);
    await copyFile(BUSYBOX, join(dir, 'bin/busybox'));
    for (const applet of stdout.split('\n').map((a) => a.trim())) {
      if (applet && applet !== 'busybox' && /^[\w.[-]+$/.test(applet)) await symlink('busybox', join(dir, 'bin', applet));
    }
    await writeFile(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
    await writeFile(join(dir, 'etc/group'), 'root:x:0:\n');
    return { dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** Makes a base image on one daemon (unless it is there and `force` is off). Returns the image and whether it was made. */
export async function makeBaseImage(docker: Docker, kind: BaseKind, force = false): Promise<{ image: string; made: boolean; id: string }> {
  const { image } = BASE_IMAGES[kind];
  if (!force) {
    const existing = await docker.getImage(image).inspect().catch(() => undefined);
    if (existing) return { image, made: false, id: existing.Id };
  }
  const root = await busyboxRoot();
  try {
    const tar = spawn('tar', ['-C', root.dir, '--numeric-owner', '--owner=0', '--group=0', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const [repo, tag] = image.split(/:(?=[^:/]+$)/) as [string, string];
    const stream = await docker.importImage(tar.stdout, { repo, tag, changes: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'] });
    await followProgress(docker, stream, (message) => new EruError('IMAGE_FAILED', `importing ${image}: ${message}`, { status: 502 }));
    return { image, made: true, id: (await docker.getImage(image).inspect()).Id };
  } finally {
    await root.remove();
  }
}
