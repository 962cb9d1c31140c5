import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { access, chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { followProgress } from '../engine/progress.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { BASE_IMAGES, type BaseKind } from '../model/images.js';

const run = promisify(execFile);

/**
 * Base images made on the spot: nothing can be pulled on the machines Eru is set up on, so a base is
 * made from what Debian installs, once on the core's machine, then imported into each node.
 * - busybox: the static busybox of busybox-static with its applets linked in /bin (2 MB, instant);
 * - debian: Debian bookworm, minbase variant, through debootstrap from the mirror apt uses (~1 min).
 */
/** What `docker import` sets on each base besides its files (the kinds and image names: model/images.ts). */
const IMPORT_CHANGES: Record<BaseKind, readonly string[]> = {
  busybox: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'],
  debian: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["/bin/bash"]'],
};

/** A root filesystem in a temp directory, ready to import. */
export interface BaseRoot {
  kind: BaseKind;
  dir: string;
  remove: () => Promise<void>;
}

const BUSYBOX = '/bin/busybox';
const DEBOOTSTRAP = '/usr/sbin/debootstrap';
const DEBIAN_SUITE = 'bookworm';

async function needs(path: string, install: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new EruError(ErrorCode.PRECONDITION_FAILED, `${path} not found on the core's machine: apt-get install ${install}`);
  }
}

async function withTempRoot(fill: (dir: string) => Promise<void>, kind: BaseKind): Promise<BaseRoot> {
  const dir = await mkdtemp(join(tmpdir(), `eru-base-${kind}-`));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await fill(dir);
    return { kind, dir, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

async function busyboxRoot(dir: string): Promise<void> {
  await needs(BUSYBOX, 'busybox-static');
  const { stdout } = await run(BUSYBOX, ['--list']);
  // Debian's dynamically linked busybox has the same path but would not run in an empty image.
  if (!stdout.includes('sh')) throw new EruError(ErrorCode.PRECONDITION_FAILED, `${BUSYBOX} lists no sh applet`);
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
}

/** The Debian mirror apt on this machine uses (deb822 or one-line sources), so debootstrap reaches what apt reaches. */
export async function debianMirror(): Promise<string> {
  const texts = await Promise.all(
    ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].map((path) => readFile(path, 'utf8').catch(() => '')),
  );
  for (const text of texts) {
    const uri = /^URIs:\s*(\S+)/m.exec(text)?.[1] ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/m.exec(text)?.[1];
    if (uri && !uri.includes('security')) return uri;
  }
  return 'http://deb.debian.org/debian';
}

async function debianRoot(dir: string, line: (text: string) => void): Promise<void> {
  await needs(DEBOOTSTRAP, 'debootstrap');
  const mirror = await debianMirror();
  line(`debootstrap --variant=minbase ${DEBIAN_SUITE} from ${mirror}`);
  const child = spawn(DEBOOTSTRAP, ['--variant=minbase', DEBIAN_SUITE, dir, mirror], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (text) => {
      tail = `${tail}\n${text}`.slice(-2000);
      // "I: Retrieving …" once per package is too much; the stage lines say where it is.
      if (/^[IEW]: (?!Retrieving|Validating|Extracting|Unpacking [a-z0-9])/.test(text)) line(text);
    });
  }
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new EruError(ErrorCode.IMAGE_FAILED, `debootstrap exited ${code}: ${tail.trim().split('\n').slice(-3).join(' / ')}`);
  // What apt downloaded is not part of the image.
  await rm(join(dir, 'var/cache/apt/archives'), { recursive: true, force: true });
  await mkdir(join(dir, 'var/cache/apt/archives/partial'), { recursive: true });
  await rm(join(dir, 'var/lib/apt/lists'), { recursive: true, force: true });
  await mkdir(join(dir, 'var/lib/apt/lists/partial'), { recursive: true });
}

/** Makes the root filesystem of a base, once, for any number of nodes. */
export function baseRoot(kind: BaseKind, line: (text: string) => void = () => undefined): Promise<BaseRoot> {
  return withTempRoot((dir) => (kind === 'busybox' ? busyboxRoot(dir) : debianRoot(dir, line)), kind);
}

/** The image's id on this daemon, if it has it. */
export async function baseImageId(docker: Docker, kind: BaseKind): Promise<string | undefined> {
  return (await docker.getImage(BASE_IMAGES[kind].image).inspect().catch(() => undefined))?.Id;
}

/** Imports a root filesystem into one daemon as the base image; returns its id. */
export async function importBase(docker: Docker, root: BaseRoot): Promise<string> {
  const { image } = BASE_IMAGES[root.kind];
  const changes = IMPORT_CHANGES[root.kind];
  // busybox's files are made by whoever runs the core: root owns them in the image. debootstrap's keep theirs.
  const owners = root.kind === 'busybox' ? ['--owner=0', '--group=0'] : [];
  const tar = spawn('tar', ['-C', root.dir, '--numeric-owner', ...owners, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const [repo, tag] = image.split(/:(?=[^:/]+$)/) as [string, string];
  const previous = await baseImageId(docker, root.kind);
  const stream = await docker.importImage(tar.stdout, { repo, tag, changes: [...changes] });
  await followProgress(docker, stream, (message) => new EruError(ErrorCode.IMAGE_FAILED, `importing ${image}: ${message}`));
  const id = (await docker.getImage(image).inspect()).Id;
  // A base made again leaves the old one untagged: drop it unless containers or images still use it.
  if (previous && previous !== id) await docker.getImage(previous).remove().catch(() => undefined);
  return id;
}

/** Makes a base image on one daemon unless it is there (or `force`). */
export async function makeBaseImage(docker: Docker, kind: BaseKind, force = false, line?: (text: string) => void): Promise<{ image: string; made: boolean; id: string }> {
  const { image } = BASE_IMAGES[kind];
  const existing = force ? undefined : await baseImageId(docker, kind);
  if (existing) return { image, made: false, id: existing };
  const root = await baseRoot(kind, line);
  try {
    return { image, made: true, id: await importBase(docker, root) };
  } finally {
    await root.remove();
  }
}
