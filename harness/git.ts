import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from './core.js';
import { ManagedProcess } from './process.js';
import { eventually } from './services.js';

/** A local git repository fixture: files committed, commits on demand, the sha of HEAD. */
export class GitRepo {
  private constructor(readonly path: string) {}

  /** `git init` at `path` with `files` committed as the first commit. */
  static create(path: string, files: Record<string, string>): GitRepo {
    mkdirSync(path, { recursive: true });
    execFileSync('git', ['init', '-q', path]);
    const repo = new GitRepo(path);
    repo.commit(files, 'first');
    return repo;
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-C', this.path, '-c', 'user.email=test@eru.local', '-c', 'user.name=test', ...args], { encoding: 'utf8' }).trim();
  }

  /** Writes the files, commits them, and returns the new full sha. */
  commit(files: Record<string, string>, message = 'change'): string {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(this.path, name), text);
    this.git('add', '.');
    this.git('commit', '-qm', message);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD');
  }
}

/**
 * A git server on loopback for the pipeline's tests: `git daemon` bound to 127.0.0.1 on a port of its
 * own, serving bare repositories made under a throwaway directory, pushes allowed. Repositories are
 * `git://127.0.0.1:PORT/NAME.git`.
 */
export class GitServer {
  private constructor(
    readonly root: string,
    readonly port: number,
    private readonly daemon: ManagedProcess,
  ) {}

  static async start(root: string): Promise<GitServer> {
    mkdirSync(root, { recursive: true });
    const port = await freePort();
    const daemon = new ManagedProcess('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${root}`, '--export-all', '--enable=receive-pack', '--informative-errors', root]).start();
    const server = new GitServer(root, port, daemon);
    await eventually(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect(port, '127.0.0.1', () => {
            socket.end();
            resolve(true);
          });
          socket.on('error', () => resolve(false));
        }),
      10_000,
      `git daemon on 127.0.0.1:${port}${daemon.output ? `: ${daemon.output}` : ''}`,
    );
    return server;
  }

  /** An empty bare repository `NAME.git`, and its URL. */
  create(name: string): string {
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', join(this.root, `${name}.git`)]);
    return this.url(name);
  }

  url(name: string): string {
    return `git://127.0.0.1:${this.port}/${name}.git`;
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}
