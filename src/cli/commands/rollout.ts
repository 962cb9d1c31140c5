import type { Command } from 'commander';
import type { DeployEvent } from '../../contract/events.js';
import { invalid } from '../../lib/errors.js';
import { age } from '../../lib/time.js';
import type { Rollout, Runs } from '../../model/rollout.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals, wholeNumber } from '../options.js';
import { Progress } from '../progress.js';
import { followStream, printWorkloads, showEvent, withStates } from './deploy.js';

/** A version by its short sha, or the image. */
const runsName = (runs: Runs): string => ('version' in runs ? runs.version.slice(0, 7) : runs.image);

const path = (app: string, entry: string): string => `/v1/apps/${encodeURIComponent(app)}/entries/${encodeURIComponent(entry)}/rollouts`;

/** `eru rollout ls|show|undo`: a service's numbered rollouts, and going back. */
export function registerRollout(program: Command): void {
  const rollout = program.command('rollout').description("a service's rollouts (each rolling replace, numbered), and undoing them");
  const list = async (cmd: Command, app: string, options: { entry: string; pod?: string }): Promise<Rollout[]> =>
    clientOf(cmd).request<Rollout[]>('GET', `${path(app, options.entry)}${options.pod ? `?pod=${encodeURIComponent(options.pod)}` : ''}`);
  rollout
    .command('ls')
    .description('every rollout of a service: number, from → to, how it ended, when')
    .argument('<app>')
    .requiredOption('--entry <entry>', 'the entrypoint')
    .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
    .action(
      action(async (app: string, options: { entry: string; pod?: string }, cmd: Command) => {
        const rollouts = await list(cmd, app, options);
        if (globals(cmd).json) return printJson(rollouts);
        printTable([['#', 'FROM', 'TO', 'OUTCOME', 'STARTED'], ...rollouts.map((r) => [String(r.number), runsName(r.from), runsName(r.to), r.outcome, `${age(r.startedAt)} ago`])]);
      }),
    );
  rollout
    .command('show')
    .description('one rollout, with why it did not end done')
    .argument('<app>')
    .argument('<number>', 'the rollout number', wholeNumber('number'))
    .requiredOption('--entry <entry>', 'the entrypoint')
    .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
    .action(
      action(async (app: string, number: number, options: { entry: string; pod?: string }, cmd: Command) => {
        const found = (await list(cmd, app, options)).find((r) => r.number === number);
        if (!found) throw invalid(['number'], `${app}/${options.entry} has no rollout ${number}`);
        if (globals(cmd).json) return printJson(found);
        printTable([
          ['rollout', String(found.number)],
          ['from', runsName(found.from)],
          ['to', runsName(found.to)],
          ['outcome', found.outcome],
          ['started', found.startedAt],
          ['ended', found.endedAt ?? '-'],
          ...(found.message ? [['why', found.message]] : []),
        ]);
      }),
    );
  rollout
    .command('undo')
    .description('roll the service back (a rolling replace) to what ran before its last rollout that ended done, or to what rollout --to N moved it to')
    .argument('<app>')
    .requiredOption('--entry <entry>', 'the entrypoint')
    .option('--to <n>', 'the rollout whose target to go back to', wholeNumber('to'))
    .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
    .action(
      action(async (app: string, options: { entry: string; to?: number; pod?: string }, cmd: Command) => {
        const progress = new Progress('undoing');
        const body = { ...(options.pod ? { pod: options.pod } : {}), ...(options.to !== undefined ? { to: options.to } : {}) };
        const result = await followStream(cmd, `${path(app, options.entry)}/undo`, body, (event: DeployEvent) => showEvent(event, progress)).finally(() => progress.done());
        if (!globals(cmd).json) printWorkloads(withStates(result));
      }),
    );
}
