import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
