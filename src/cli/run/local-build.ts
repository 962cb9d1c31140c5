import { execFile, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { EruClient } from 'eru-client';
import { buildBundle } from 'eru-client/node';
import type { BuildEvent } from '../../contract/events.js';
import { EruError, ErrorCode } from '../../lib/errors.js';

const run = promisify(execFile);

/** The same commit for the same tree, whoever makes it and when: a working tree built twice is one version. */
const FIXED_COMMITTER = {
  GIT_AUTHOR_NAME: 'eru build --dir',
  GIT_AUTHOR_EMAIL: 'local@eru',
  GIT_AUTHOR_DATE: '1970-01-01T00:00:00Z',
  GIT_COMMITTER_NAME: 'eru build --dir',
  GIT_COMMITTER_EMAIL: 'local@eru',
  GIT_COMMITTER_DATE: '1970-01-01T00:00:00Z',
};
// A branch: what a clone of the bundle fetches (made for the moment the bundle takes, then deleted).
const REF = 'refs/heads/eru-build-dir';

async function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    return (await run('git', ['-C', dir, ...args], { maxBuffer: 1024 * 1024, env: { ...process.env, ...env } })).stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n')[0];
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `git ${args[0]} in ${dir}: ${stderr || (error as Error).message}`, { path: ['dir'] });
  }
}

/**
 * `eru build APP --dir DIR`: the tracked files of a checkout, with their uncommitted changes (what
 * `git stash create` records, without touching the checkout), as one commit of that tree alone, sent
 * as a git bundle; the core registers it as a local version, builds and tests it.
 */
export async function buildWorkingTree(client: EruClient, app: string, dirOption: string, pod: string, onEvent: (event: BuildEvent) => void): Promise<{ sha: string; result: Extract<BuildEvent, { type: 'result' }> }> {
  const dir = resolve(dirOption);
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  const changes = await git(top, ['stash', 'create']);
  const tree = await git(top, ['rev-parse', `${changes || 'HEAD'}^{tree}`]);
  const sha = await git(top, ['commit-tree', tree, '-m', 'eru build --dir'], FIXED_COMMITTER);
  await git(top, ['update-ref', REF, sha]);
  try {
    const bundle = spawn('git', ['-C', top, 'bundle', 'create', '-q', '-', REF], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bundle.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const made = new Promise<void>((done, failed) =>
      bundle.on('close', (code) => (code === 0 ? done() : failed(new EruError(ErrorCode.INVALID_ARGUMENT, `git bundle in ${top}: ${stderr.trim() || `exit ${code}`}`)))),
    );
    const [result] = await Promise.all([buildBundle(client, app, { pod, sha }, bundle.stdout, onEvent), made]);
    return { sha, result };
  } finally {
    await git(top, ['update-ref', '-d', REF]).catch(() => undefined);
  }
}
