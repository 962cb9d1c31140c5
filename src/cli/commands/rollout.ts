import type { Command } from 'commander';
import type { DeployEvent } from '../../contract/events.js';
import { invalid } from '../../lib/errors.js';
import { age } from '../../lib/time.js';
import type { Canary, Rollout, Runs } from '../../model/rollout.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals, wholeNumber } from '../options.js';
import { Progress } from '../progress.js';
import { followStream, printWorkloads, showEvent, withStates } from './deploy.js';

/** A version by its short sha, or the image. */
const runsName = (runs: Runs): string => ('version' in runs ? runs.version.slice(0, 7) : runs.image);


/** The outcome column: a running rollout says when it is paused or its canary waits. */
function outcomeText(rollout: Rollout): string {
  if (rollout.outcome !== 'running') return rollout.outcome;
  if (rollout.abort !== undefined) return 'running (aborting)';
  if (rollout.paused) return 'running (paused)';
  if (rollout.canary?.phase === 'waiting') return 'running (canary waiting)';
  return 'running';
}

function canaryText(canary: Canary): string {
  return `${canary.count} instance(s)${canary.autoSeconds ? `, judged over ${canary.autoSeconds} s` : ''}: ${canary.phase}${canary.verdict ? ` — ${canary.verdict}` : ''}`;
}

/** `eru rollout ls|show|undo|pause|resume|promote|abort`: a service's numbered rollouts, steering the one under way, and going back. */
export function registerRollout(program: Command): void {
  const rollout = program.command('rollout').description("a service's rollouts (each rolling replace, numbered), and undoing them");
  const list = async (cmd: Command, app: string, options: { entry: string; pod?: string }): Promise<Rollout[]> =>
    clientOf(cmd).services.rollouts(app, options.entry, options.pod);
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
        printTable([['#', 'FROM', 'TO', 'OUTCOME', 'STARTED'], ...rollouts.map((r) => [String(r.number), runsName(r.from), runsName(r.to), outcomeText(r), `${age(r.startedAt)} ago`])]);
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
          ['outcome', `${found.outcome}${found.outcome === 'running' && found.paused ? ' (paused)' : ''}`],
          ...(found.canary ? [['canary', canaryText(found.canary)]] : []),
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
        const result = await followStream(cmd, (client, onEvent) => client.services.undo(app, options.entry, body, onEvent), (event: DeployEvent) => showEvent(event, progress)).finally(() => progress.done());
        if (!globals(cmd).json) printWorkloads(withStates(result));
      }),
    );
  const steering = {
    pause: 'pause the rollout under way: the batch under way finishes, no other starts until resume',
    resume: 'resume a paused rollout',
    promote: 'let a waiting canary go on: the rest of the instances are replaced',
    abort: 'stop the rollout under way and roll back what it replaced',
  } as const;
  for (const [verb, description] of Object.entries(steering) as Array<[keyof typeof steering, string]>) {
    rollout
      .command(verb)
      .description(description)
      .argument('<app>')
      .requiredOption('--entry <entry>', 'the entrypoint')
      .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
      .action(
        action(async (app: string, options: { entry: string; pod?: string }, cmd: Command) => {
          const steered = await clientOf(cmd).services.steer(app, options.entry, verb, options.pod);
          if (globals(cmd).json) return printJson(steered);
          console.log(`rollout ${steered.number} of ${app}/${options.entry}: ${outcomeText(steered)}${verb === 'abort' ? ', aborting (what it replaced goes back)' : ''}${verb === 'promote' ? ', promoted' : ''}`);
        }),
      );
  }
}
