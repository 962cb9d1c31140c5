import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

/**
 * A real MooseFS on this machine, mounted at several mount points, each standing in for one host's
 * mount of the same file system. MooseFS refuses a master on 127.0.0.1, so the master and a
 * chunkserver run in a network namespace made here, on a veth pair inside it with two addresses of a
 * private /24; the `mfsmount`s enter only that namespace's network, so their FUSE mounts are seen on
 * the host. Nothing is reachable from outside the namespace; `stop` unmounts, stops and deletes all.
 */
export class MooseFs {
  private readonly processes: ManagedProcess[] = [];
  readonly mounts: string[] = [];
  readonly namespace: string;
  readonly dir: string;
  readonly master: string;
  readonly chunkserver: string;

  private constructor() {
    const tag = `${process.pid % 1000}${Math.floor(Math.random() * 100)}`;
    this.namespace = `eru-mfs-${tag}`;
    this.dir = mkdtempSync('/tmp/eru-mfs-');
    const subnet = `10.${200 + (process.pid % 50)}.${Math.floor(Math.random() * 250)}`;
    this.master = `${subnet}.1`;
    this.chunkserver = `${subnet}.2`;
  }

  get netns(): string {
    return `/var/run/netns/${this.namespace}`;
  }

  /** A master, a chunkserver and `mountCount` mounts of the file system. */
  static async start(mountCount: number): Promise<MooseFs> {
    const fs = new MooseFs();
    try {
      await fs.boot(mountCount);
    } catch (error) {
      await fs.stop();
      throw error;
    }
    return fs;
  }

  /** Runs a MooseFS tool (mfsgetquota, mfssetquota…) where it reaches the master. */
  tool(tool: string, args: string[]): string {
    return execFileSync('nsenter', [`--net=${this.netns}`, tool, ...args], { encoding: 'utf8' });
  }

  private inNamespace(command: string, args: string[]): ManagedProcess {
    const started = new ManagedProcess('nsenter', [`--net=${this.netns}`, command, ...args]).start();
    this.processes.push(started);
    return started;
  }

  private async boot(mountCount: number): Promise<void> {
    const ip = (...args: string[]): void => {
      execFileSync('ip', ['netns', 'exec', this.namespace, 'ip', ...args]);
    };
    execFileSync('ip', ['netns', 'add', this.namespace]);
    ip('link', 'set', 'lo', 'up');
    ip('link', 'add', 'mfs0', 'type', 'veth', 'peer', 'name', 'mfs1');
    ip('addr', 'add', `${this.master}/24`, 'dev', 'mfs0');
    ip('addr', 'add', `${this.chunkserver}/24`, 'dev', 'mfs1');
    ip('link', 'set', 'mfs0', 'up');
    ip('link', 'set', 'mfs1', 'up');

    const master = `${this.dir}/master`;
    const chunks = `${this.dir}/chunkserver`;
    for (const dir of [master, chunks, `${this.dir}/hdd`]) mkdirSync(dir, { recursive: true });
    writeFileSync(
      `${master}/mfsmaster.cfg`,
      [
        'WORKING_USER = root',
        'WORKING_GROUP = root',
        `DATA_PATH = ${master}`,
        `EXPORTS_FILENAME = ${master}/mfsexports.cfg`,
        `TOPOLOGY_FILENAME = ${master}/mfstopology.cfg`,
        `MATOML_LISTEN_HOST = ${this.master}`,
        `MATOCS_LISTEN_HOST = ${this.master}`,
        `MATOCL_LISTEN_HOST = ${this.master}`,
        '',
      ].join('\n'),
    );
    // `admin` lets the mounts set quotas; the export is for the namespace's /24 only.
    writeFileSync(`${master}/mfsexports.cfg`, `${this.master.replace(/\.1$/, '.0')}/24 / rw,alldirs,admin,maproot=0:0\n`);
    writeFileSync(`${master}/mfstopology.cfg`, '');
    writeFileSync(`${master}/metadata.mfs`, 'MFSM NEW');
    writeFileSync(
      `${chunks}/mfschunkserver.cfg`,
      ['WORKING_USER = root', 'WORKING_GROUP = root', `DATA_PATH = ${chunks}`, `HDD_CONF_FILENAME = ${chunks}/mfshdd.cfg`, `MASTER_HOST = ${this.master}`, `BIND_HOST = ${this.chunkserver}`, `CSSERV_LISTEN_HOST = ${this.chunkserver}`, ''].join('\n'),
    );
    writeFileSync(`${chunks}/mfshdd.cfg`, `${this.dir}/hdd\n`);

    this.inNamespace('mfsmaster', ['-c', `${master}/mfsmaster.cfg`, '-f', 'start']);
    await eventually(async () => this.listening(9421), 20_000, 'mfsmaster to listen');
    this.inNamespace('mfschunkserver', ['-c', `${chunks}/mfschunkserver.cfg`, '-f', 'start']);
    await eventually(async () => this.listening(9422), 20_000, 'mfschunkserver to listen');
    for (let i = 0; i < mountCount; i++) {
      const mountPoint = `${this.dir}/mount-${i}`;
      mkdirSync(mountPoint);
      this.inNamespace('mfsmount', [mountPoint, '-f', '-H', this.master]);
      this.mounts.push(mountPoint);
      await eventually(async () => readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mountPoint} `), 20_000, `the mount at ${mountPoint}`);
    }
    // The chunkserver must have registered before a file can be written.
    await eventually(async () => {
      const probe = `${this.mounts[0]}/.probe`;
      const written = spawnSync('sh', ['-c', `echo ok > ${probe} && cat ${probe} && rm ${probe}`], { encoding: 'utf8' });
      return written.stdout.trim() === 'ok';
    }, 30_000, 'a first write to MooseFS');
  }

  private listening(port: number): boolean {
    const out = spawnSync('ip', ['netns', 'exec', this.namespace, 'ss', '-ltn'], { encoding: 'utf8' }).stdout;
    return out.includes(`:${port} `);
  }

  async stop(): Promise<void> {
    for (const mount of this.mounts) spawnSync('umount', ['-l', mount]);
    for (const started of [...this.processes].reverse()) await started.stop('SIGTERM').catch(() => undefined);
    spawnSync('ip', ['netns', 'del', this.namespace]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
