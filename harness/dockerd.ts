import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type Docker from 'dockerode';
import { BASE_IMAGE, testDocker } from './docker.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

/**
 * An extra Docker daemon on this machine, standing in for another host: its own data root, exec
 * root, pidfile, socket, and its own bridge (never --bridge=none, which would delete docker0 of the
 * first daemon). The bridge gets an address in a /24 picked here; no traffic leaves the machine.
 */
export class ExtraDaemon {
  private process: ManagedProcess | undefined;
  readonly root: string;
  readonly bridge: string;

  private constructor(readonly index: number) {
    this.root = mkdtempSync(`/tmp/eru-d${index}-`);
    this.bridge = `eru-br${index}`;
  }

  get endpoint(): string {
    return `unix://${this.root}/docker.sock`;
  }

  get docker(): Docker {
    return testDocker(this.endpoint);
  }

  /** Starts daemon `index` (1..9) and gives it the base image from the main daemon. */
  static async start(index: number): Promise<ExtraDaemon> {
    const daemon = new ExtraDaemon(index);
    try {
      await daemon.boot();
    } catch (error) {
      await daemon.stop();
      throw error;
    }
    return daemon;
  }

  private async boot(): Promise<void> {
    ip(['link', 'del', this.bridge], true);
    ip(['link', 'add', this.bridge, 'type', 'bridge']);
    ip(['addr', 'add', `10.213.${this.index}.1/24`, 'dev', this.bridge]);
    ip(['link', 'set', this.bridge, 'up']);
    const daemon = new ManagedProcess(
      'dockerd',
      [
        '--data-root', `${this.root}/data`,
        '--exec-root', `${this.root}/exec`,
        '--pidfile', `${this.root}/dockerd.pid`,
        '--host', this.endpoint,
        '--bridge', this.bridge,
        '--iptables=false',
        '--ip-masq=false',
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

  async stop(): Promise<void> {
    await this.process?.stop('SIGTERM', 20_000);
    ip(['link', 'del', this.bridge], true);
    rmSync(this.root, { recursive: true, force: true });
  }
}

function ip(args: string[], ignoreErrors = false): void {
  try {
    execFileSync('ip', args, { stdio: 'pipe' });
  } catch (error) {
    if (!ignoreErrors) throw new Error(`ip ${args.join(' ')}: ${(error as { stderr?: Buffer }).stderr?.toString() ?? error}`);
  }
}
