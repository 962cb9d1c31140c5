import { writeFile } from 'node:fs/promises';
import { freePort, tempDir } from './core.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

/**
 * A real image registry for tests: Debian's `docker-registry` (distribution 2.x) serving on
 * 127.0.0.1 with its storage in a temp directory. Docker treats 127.0.0.0/8 registries as insecure
 * (plain HTTP) by default, so daemons on this machine push and pull without extra settings.
 */
export class LocalRegistry {
  private constructor(
    readonly address: string,
    private readonly process: ManagedProcess,
    private readonly dir: { path: string; remove: () => Promise<void> },
  ) {}

  static async start(): Promise<LocalRegistry> {
    const dir = await tempDir('eru-registry-');
    const port = await freePort();
    const config = [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${dir.path}/data}, delete: {enabled: true}}`,
      `http: {addr: 127.0.0.1:${port}}`,
      '',
    ].join('\n');
    await writeFile(`${dir.path}/config.yml`, config);
    const child = new ManagedProcess('docker-registry', ['serve', `${dir.path}/config.yml`], 10_000).start();
    const registry = new LocalRegistry(`127.0.0.1:${port}`, child, dir);
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}: ${child.output}`);
          return fetch(`http://${registry.address}/v2/`).then((r) => r.ok, () => false);
        },
        20_000,
        'docker-registry to answer',
      );
    } catch (error) {
      await registry.stop();
      throw error;
    }
    return registry;
  }

  /** The tags the registry holds for a repository (its own API, not Docker's view). */
  async tags(repo: string): Promise<string[]> {
    const response = await fetch(`http://${this.address}/v2/${repo}/tags/list`);
    if (response.status === 404) return [];
    return ((await response.json()) as { tags: string[] | null }).tags ?? [];
  }

  async stop(): Promise<void> {
    await this.process.stop();
    await this.dir.remove();
  }
}
