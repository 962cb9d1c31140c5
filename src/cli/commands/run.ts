import type { Command } from 'commander';
import { invalid } from '../../lib/errors.js';
import { action } from '../output.js';
import { keyValue } from '../options.js';
import type { JobBody } from 'eru-client';
import { followStream, placementBody, placementOptions, type PlacementOptions } from './deploy.js';

interface RunOptions extends PlacementOptions {
  image: string;
  app: string;
  entry: string;
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
}

/** `eru run`: a job. Its output comes back as it runs; eru exits with the job's exit code. */
export function registerRun(program: Command): void {
  const run = program
    .command('run')
    .description("run a job to completion on a pod: output streamed, container removed, exit code returned")
    .requiredOption('--image <image>', 'image to run')
    .option('--app <app>', 'app name', 'job')
    .option('--entry <entry>', 'entrypoint name', 'run')
    .option('--env <K=V>', 'environment variable (repeatable)', keyValue('env'))
    .option('--user <user>', 'user in the container')
    .option('--workdir <dir>', 'working directory')
    .argument('<command...>', 'command and arguments (after --)');
  placementOptions(run, '0.5').action(
    action(async (command: string[], options: RunOptions, cmd: Command) => {
      if (command.length === 0) throw invalid(['command'], 'a job needs a command');
      const body = {
        ...(await placementBody(options, cmd)),
        app: options.app,
        entry: options.entry,
        image: options.image,
        command,
        env: options.env ?? {},
        ...(options.user ? { user: options.user } : {}),
        ...(options.workdir ? { workdir: options.workdir } : {}),
      };
      const result = await followStream(cmd, (client, onEvent) => client.runJob(body as JobBody, onEvent), (event) => {
        if (event.type === 'output') (event.stream === 'stdout' ? process.stdout : process.stderr).write(`${event.line}\n`);
        // Said first, as soon as the job is placed: where it runs, before anything it prints.
        else if (event.type === 'planned') for (const w of event.workloads) process.stderr.write(`job ${w.id} on ${w.node} (cpuset ${w.cpuset})\n`);
      });
      process.exitCode = result.exitCode ?? 0;
    }),
  );
}
