import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type Docker from 'dockerode';
import { BASE_IMAGE, testDocker } from './docker.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

export interface ExtraDaemonOptions {
  /**
   * A network namespace of its own (made here, removed on stop), with its bridge and loopback inside:
   * what its containers publish binds there, so daemons standing in for two hosts can each publish
   * the same host port, as two real hosts can. Its socket is a file, reachable from here all the same.
   */
  ownNetwork?: boolean;
  /** Also serve the Engine API on tcp://127.0.0.1:PORT with TLS, verifying clients (`--tlsverify`) against `caFile`. */
  tls?: { port: number; caFile: string; certFile: string; keyFile: string };
}

/**
 * An extra Docker daemon on this machine, standing in for another host: its own data root, exec
 * root, pidfile, socket, and its own bridge (never --bridge=none, which would delete docker0 of the
 * first daemon). The bridge gets an address in a /24 picked here; no traffic leaves the machine.
 */
export class ExtraDaemon {
  private process: ManagedProcess | undefined;
  private killed = false;
  readonly root: string;
  readonly bridge: string;

  private constructor(
    readonly index: number,
    private readonly options: ExtraDaemonOptions,
  ) {
    this.root = mkdtempSync(`/tmp/eru-d${index}-`);
    this.bridge = `eru-br${index}`;
  }

  get endpoint(): string {
    return `unix://${this.root}/docker.sock`;
  }

  /** With `tls`: the TLS endpoint on loopback. */
  get tcpEndpoint(): string {
    if (!this.options.tls) throw new Error('this daemon serves no tcp endpoint');
    return `tcp://127.0.0.1:${this.options.tls.port}`;
  }

  get docker(): Docker {
    return testDocker(this.endpoint);
  }

  /** Starts daemon `index` (1..9) and gives it the base image from the main daemon. */
  static async start(index: number, options: ExtraDaemonOptions = {}): Promise<ExtraDaemon> {
    const daemon = new ExtraDaemon(index, options);
    try {
      await daemon.boot();
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  /** The namespace of a daemon with `ownNetwork`. */
  private get namespace(): string | undefined {
    return this.options.ownNetwork ? `eru-host${this.index}-${process.pid}` : undefined;
  }

  private async boot(): Promise<void> {
    const netns = this.namespace;
    // `ip -n NS …` inside the daemon's own namespace, else the machine's.
    const here = (args: string[], ignoreErrors = false): void => ip(netns ? ['-n', netns, ...args] : args, ignoreErrors);
    if (netns) {
      ip(['netns', 'del', netns], true);
      ip(['netns', 'add', netns]);
      here(['link', 'set', 'lo', 'up']);
    }
    here(['link', 'del', this.bridge], true);
    here(['link', 'add', this.bridge, 'type', 'bridge']);
    here(['addr', 'add', `10.213.${this.index}.1/24`, 'dev', this.bridge]);
    here(['link', 'set', this.bridge, 'up']);
    // nsenter, not `ip netns exec`: that remounts /sys, and dockerd then finds no cgroups.
    const [command, prefix] = netns ? ['nsenter', [`--net=/var/run/netns/${netns}`, 'dockerd']] : ['dockerd', []];
    const daemon = new ManagedProcess(
      command,
      [
        ...prefix,
        '--data-root', `${this.root}/data`,
        '--exec-root', `${this.root}/exec`,
        '--pidfile', `${this.root}/dockerd.pid`,
        '--host', this.endpoint,
        '--bridge', this.bridge,
        '--iptables=false',
        '--ip-masq=false',
        ...(this.options.tls
          ? ['--host', `tcp://127.0.0.1:${this.options.tls.port}`, '--tlsverify', '--tlscacert', this.options.tls.caFile, '--tlscert', this.options.tls.certFile, '--tlskey', this.options.tls.keyFile]
          : []),
      ],
      20_000,
    ).start();
    this.process = daemon;
    await eventually(
      async () => {
        if (daemon.exitCode !== null) throw new Error(`dockerd ${this.index} exited: ${daemon.output.slice(-2000)}`);
        return this.docker.ping().then(() => true, () => false);
      },
      60_000,
      `dockerd ${this.index} to answer`,
    );
    const image = await testDocker().getImage(BASE_IMAGE).get();
    const loading = await this.docker.loadImage(image);
    await new Promise<void>((resolve, reject) => {
      loading.on('end', resolve);
      loading.on('error', reject);
      loading.resume();
    });
  }

  /**
   * The host dies: dockerd and its containerd are SIGKILLed, so its socket stops answering at once.
   * Containers it ran are left as a power cut would leave them, to be found (and cleaned up by Docker)
   * when `restart()` brings the daemon back on the same data root.
   */
  async kill(): Promise<void> {
    this.killed = true;
    const containers = (await this.docker.listContainers().catch(() => [])).map((c) => c.Id);
    await this.process?.stop('SIGKILL');
    // Its containerd, the shims, and every process of its containers: nothing of the host runs on.
    try {
      process.kill(Number(readFileSync(`${this.root}/exec/containerd/containerd.pid`, 'utf8').trim()), 'SIGKILL');
    } catch {
      // none left
    }
    run('pkill', ['-9', '-f', `-address ${this.root}/exec/containerd/containerd.sock`], true);
    for (const id of containers) {
      for (const procs of [`/sys/fs/cgroup/docker/${id}/cgroup.procs`, `/sys/fs/cgroup/pids/docker/${id}/cgroup.procs`]) {
        if (!existsSync(procs)) continue;
        for (const pid of readFileSync(procs, 'utf8').split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }
    }
  }

  /** The host comes back: the same daemon on the same data root. */
  async restart(): Promise<void> {
    try {
      await this.boot();
    } catch (error) {
      // Right after a kill, its containerd may still be cleaning up the dead shims and not answer in
      // time ("failed to start containerd"): once more, as an operator would.
      if (!String(error).includes('failed to start containerd')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      await this.boot();
    }
    this.killed = false;
  }

  /** Killed and not restarted. */
  get dead(): boolean {
    return this.killed;
  }

  async stop(): Promise<void> {
    // A killed daemon comes back first, so that it stops its containers and unmounts their layers.
    if (this.killed) await this.restart().catch(() => undefined);
    await this.process?.stop('SIGTERM', 20_000);
    if (this.namespace) ip(['netns', 'del', this.namespace], true);
    else ip(['link', 'del', this.bridge], true);
    // Whatever a killed daemon left mounted under its root (container layers, network namespaces).
    const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((line) => line.split(' ')[1] ?? '').filter((point) => point.startsWith(`${this.root}/`));
    for (const point of mounts.sort().reverse()) run('umount', ['-l', point], true);
    rmSync(this.root, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], ignoreErrors = false): void {
  try {
    execFileSync(command, args, { stdio: 'pipe' });
  } catch (error) {
    if (!ignoreErrors) throw new Error(`${command} ${args.join(' ')}: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
  }
}

function ip(args: string[], ignoreErrors = false): void {
  run('ip', args, ignoreErrors);
}
