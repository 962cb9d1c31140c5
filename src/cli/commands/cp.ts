import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { downloadArchive, uploadArchive } from 'eru-client/node';
import { EruError, ErrorCode, invalid } from '../../lib/errors.js';
import { action } from '../output.js';
import { clientOf, globals } from '../options.js';

/** `WORKLOAD:/path` → its parts; anything else is a local path. */
function remote(spec: string): { ref: string; path: string } | null {
  const match = /^([^:/]+):(\/.*)$/.exec(spec);
  return match ? { ref: match[1]!, path: match[2]!.replace(/\/+$/, '') || '/' } : null;
}

/** Runs tar (modes and times kept), its output to or its input from the stream given. */
function tar(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<void> } {
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((ok, fail) =>
    child.on('close', (code) => (code === 0 ? ok() : fail(new EruError(ErrorCode.INVALID_ARGUMENT, `tar ${args[0]} failed: ${stderr.trim().split('\n').pop() ?? code}`)))),
  );
  return { child, done };
}

/** `eru cp`: files and directories into and out of a workload's container, as docker cp does, through the core. */
export function registerCp(program: Command): void {
  program
    .command('cp')
    .description('copy files or directories between a workload and here: eru cp WORKLOAD:/path ./local, eru cp ./local WORKLOAD:/path (modes kept; files copied in belong to the workload\'s user; 512 MiB at most)')
    .argument('<source>')
    .argument('<destination>')
    .action(
      action(async (source: string, destination: string, _options: unknown, command: Command) => {
        const client = clientOf(command);
        const from = remote(source);
        const to = remote(destination);
        if (Boolean(from) === Boolean(to)) throw invalid(['source'], 'one side is WORKLOAD:/absolute/path, the other a local path');
        if (from) {
          // Unpacked beside the destination first, so a failed copy leaves nothing behind.
          const local = resolve(destination);
          const into = existsSync(local) && statSync(local).isDirectory();
          const staging = await mkdtemp(join(into ? local : dirname(local), '.eru-cp-'));
          try {
            const unpack = tar(['-x', '-p', '--no-same-owner', '-C', staging]); // owned here by whoever copied, as docker cp does
            try {
              await downloadArchive(client, from.ref, from.path, unpack.child.stdin!);
            } catch (error) {
              unpack.child.kill(); // else tar waits on its input for ever; the download's error is the one to tell
              await unpack.done.catch(() => undefined);
              throw error;
            }
            await unpack.done;
            const name = basename(from.path);
            await rename(join(staging, name), into ? join(local, name) : local);
          } finally {
            await rm(staging, { recursive: true, force: true });
          }
          if (!globals(command).json) console.error(`copied ${from.ref}:${from.path} to ${destination}`);
          return;
        }
        const local = resolve(source);
        if (!existsSync(local)) throw invalid(['source'], `${source} does not exist`);
        const target = to!;
        const stat = await client.workloads.stat(target.ref, target.path);
        // Into an existing directory under its own name; else under the destination's name, in its directory.
        const [dir, rename_] = stat.exists && stat.directory ? [target.path, []] : [dirname(target.path), [`--transform=s|^${basename(local)}|${basename(target.path)}|`]];
        // Owned by the user the workload runs as, so its app can read (and run) what was copied in.
        const owner = ['--numeric-owner', `--owner=:${stat.owner.uid}`, `--group=:${stat.owner.gid}`];
        const pack = tar(['-c', ...owner, '-C', dirname(local), ...rename_, basename(local)]);
        const [answer] = await Promise.all([uploadArchive(client, target.ref, dir, pack.child.stdout!), pack.done]);
        if (!globals(command).json) console.error(`copied ${source} to ${target.ref}:${target.path} (${answer.bytes} bytes of tar)`);
      }),
    );
}
