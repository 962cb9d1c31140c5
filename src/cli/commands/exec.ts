import type { Command } from 'commander';
import { attachExec, demultiplex } from 'eru-client/node';
import { invalid } from '../../lib/errors.js';
import { action } from '../output.js';
import { clientOf } from '../options.js';

/** `eru exec [-it] WORKLOAD -- CMD…`: a command in the container, through the core; its exit code becomes eru's. */
export function registerExec(program: Command): void {
  program
    .command('exec')
    .description("run a command in a workload's container through the core (-i: keep stdin open, -t: a terminal); exits with the command's code")
    .option('-i, --interactive', 'keep stdin open and send it to the command')
    .option('-t, --tty', 'give the command a terminal')
    .option('-u, --user <user>', 'run as this user')
    .option('-w, --workdir <dir>', 'run in this directory')
    .argument('<id>', 'workload name or container id prefix')
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(
      action(async (ref: string, cmd: string[], options: { interactive?: boolean; tty?: boolean; user?: string; workdir?: string }, command: Command) => {
        if (cmd.length === 0) throw invalid(['command'], 'give a command to run, after --');
        const client = clientOf(command);
        const tty = Boolean(options.tty);
        const view = await client.workloads.exec(ref, {
          cmd,
          tty,
          stdin: Boolean(options.interactive),
          ...(options.user ? { user: options.user } : {}),
          ...(options.workdir ? { workdir: options.workdir } : {}),
        });
        const socket = await attachExec(client, view);
        const stdin = process.stdin;
        const raw = tty && stdin.isTTY;
        const resize = (): void => {
          if (process.stdout.columns && process.stdout.rows) void client.execs.resize(view, { h: process.stdout.rows, w: process.stdout.columns }).catch(() => undefined);
        };
        if (raw) stdin.setRawMode(true);
        try {
          if (options.interactive) stdin.pipe(socket);
          else socket.end();
          if (tty) {
            resize();
            process.stdout.on('resize', resize);
            socket.pipe(process.stdout, { end: false });
            await new Promise<void>((resolve) => socket.on('close', resolve).on('end', resolve));
          } else {
            await demultiplex(socket, process.stdout, process.stderr);
          }
        } finally {
          if (raw) stdin.setRawMode(false);
          stdin.unpipe(socket);
          stdin.pause();
          process.stdout.off('resize', resize);
        }
        let state = await client.execs.state(view);
        for (let i = 0; state.running && i < 20; i++) {
          await new Promise((r) => setTimeout(r, 50));
          state = await client.execs.state(view);
        }
        process.exitCode = state.exitCode ?? 1;
      }),
    );
}
