import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { followProgress } from '../engine/progress.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { parseAppYaml } from './appyaml.js';
import { dockerfile } from './dockerfile.js';
import { LAUNCHER_DIR, launcherFiles } from './launcher.js';

const run = promisify(execFile);
/** The generated Dockerfile's name inside the build context; a team's own Dockerfile is left alone. */
export const DOCKERFILE_NAME = '.eru.Dockerfile';

export interface BuildLine {
  line: string;
}

/** A checked-out tree; `appYaml` is app.yaml as committed (git's blob: a link is its target's name, never a file outside). */
export interface Checkout {
  dir: string;
  appYaml: string | undefined;
  remove: () => Promise<void>;
}

/** Checks the repository out at `sha` into a fresh directory (git, argv only). */
export async function checkout(repo: string, sha: string): Promise<Checkout> {
  const dir = await mkdtemp(join(tmpdir(), 'eru-build-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await run('git', ['clone', '--quiet', '--no-checkout', '--', repo, dir], { maxBuffer: 16 * 1024 * 1024 });
    await run('git', ['-C', dir, 'checkout', '--quiet', '--detach', sha]);
    const appYaml = await run('git', ['-C', dir, 'show', `${sha}:app.yaml`], { maxBuffer: 1024 * 1024 }).then((r) => r.stdout, () => undefined);
    await rm(join(dir, '.git'), { recursive: true, force: true });
    return { dir, appYaml, remove };
  } catch (error) {
    await remove();
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').pop();
    throw new EruError(ErrorCode.BUILD_FAILED, `cannot check out ${sha.slice(0, 7)} of ${repo}: ${stderr || (error as Error).message}`);
  }
}

async function filesOf(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesOf(root, path)));
    else files.push(relative(root, path));
  }
  return files;
}

/** Writes the generated Dockerfile and launcher beside the code of a checkout. */
export async function writeBuildFiles(dir: string, appYaml: string): Promise<void> {
  const app = parseAppYaml(appYaml);
  await writeFile(join(dir, DOCKERFILE_NAME), dockerfile(app));
  // Generated, like the Dockerfile: whatever the checkout had under this name is replaced.
  await rm(join(dir, LAUNCHER_DIR), { recursive: true, force: true });
  for (const [path, content] of launcherFiles(app)) {
    const file = join(dir, LAUNCHER_DIR, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** Builds the app at a checked-out revision on one Docker daemon, calling `output` per build line. */
export async function buildImage(docker: Docker, dir: string, appYaml: string, tag: string, output: (line: string) => void): Promise<void> {
  await writeBuildFiles(dir, appYaml);
  const stream = await docker.buildImage({ context: dir, src: await filesOf(dir) }, { t: tag, dockerfile: DOCKERFILE_NAME, rm: true, forcerm: true });
  await followProgress(
    docker,
    stream,
    (message) => new EruError(ErrorCode.BUILD_FAILED, `building ${tag}: ${message}`),
    (event) => {
      const text = event.stream ?? event.error ?? event.status;
      // Docker colours a RUN step's stderr; the lines go on as plain text.
      // eslint-disable-next-line no-control-regex
      const plain = (text ?? '').replace(/\u001b\[[0-9;]*m/g, '');
      for (const line of plain.split('\n')) if (line.trim()) output(line.trimEnd());
    },
  );
}
