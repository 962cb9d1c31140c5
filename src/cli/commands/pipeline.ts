import type { Command } from 'commander';
import type { PipelineBody, PipelineView } from '../../contract/pipelines.js';
import { invalid } from '../../lib/errors.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, defaultPod, globals, seconds, wholeNumber } from '../options.js';

function printPipeline(command: Command, pipeline: PipelineView): void {
  if (globals(command).json) return printJson(pipeline);
  printTable([
    ['url', pipeline.url],
    ['secret', pipeline.secret],
    ['branch', pipeline.branch],
    ['builds and tests in pod', pipeline.pod],
    ['releases to', pipeline.release ? `${pipeline.app}/${pipeline.release.entry} in pod ${pipeline.release.pod}${pipeline.release.env ? ` (env ${pipeline.release.env})` : ''}${pipeline.release.canary ? `, a canary of ${pipeline.release.canary} judged for ${pipeline.release.canaryAuto} s` : ''}` : '-'],
  ]);
}

/**
 * `eru app hook show|set APP` and `eru app release APP`: an app's pipeline — the webhook a git host
 * calls on a push, the branch it follows, and where a version that passed its tests is rolled out.
 */
export function registerPipeline(app: Command): void {
  const hook = app.command('hook').description("an app's git webhook: pushes to its branch are fetched, built, tested (and released)");
  hook
    .command('show')
    .description('print the webhook URL and secret to paste into GitHub (content type application/json) or GitLab; sets the hook up on first use')
    .argument('<app>')
    .option('--pod <pod>', 'the first time: the pod pushes are built and tested in (default: the client config\'s pod, or the only pod)')
    .action(
      action(async (name: string, options: { pod?: string }, command: Command) => {
        const client = clientOf(command);
        const shown = await client.apps.pipeline(name).catch(async (error: unknown) => {
          if ((error as { code?: string }).code !== 'NOT_FOUND') throw error;
          return client.apps.setPipeline(name, { pod: options.pod ?? (await defaultPod(command)) });
        });
        printPipeline(command, shown);
      }),
    );
  hook
    .command('set')
    .description('which branch the webhook follows, the pod pushes are built and tested in; --rotate-secret makes a new secret')
    .argument('<app>')
    .option('--branch <branch>', 'the branch whose pushes are built (default main)')
    .option('--pod <pod>', 'the pod pushes are built and tested in')
    .option('--rotate-secret', 'a new secret: deliveries signed with the old one are refused from now on')
    .action(
      action(async (name: string, options: { branch?: string; pod?: string; rotateSecret?: boolean }, command: Command) => {
        const body: PipelineBody = { ...(options.branch ? { branch: options.branch } : {}), ...(options.pod ? { pod: options.pod } : {}), rotateSecret: Boolean(options.rotateSecret) };
        printPipeline(command, await clientOf(command).apps.setPipeline(name, body));
      }),
    );
  app
    .command('release')
    .description('roll each version that passes its tests out to a service of the app by itself (with eru replace), or --off')
    .argument('<app>')
    .option('--entry <entry>', 'the service\'s entrypoint')
    .option('--pod <pod>', "the service's pod")
    .option('--env <env>', 'only while the service runs with this env set')
    .option('--canary <n>', 'a canary gate: n new instances first, compared with the old for --canary-auto, then promoted or aborted by themselves', wholeNumber('canary'))
    .option('--canary-auto <duration>', 'how long the canary is judged', seconds('canary-auto'))
    .option('--off', 'release nothing by itself any more')
    .action(
      action(async (name: string, options: { entry?: string; pod?: string; env?: string; canary?: number; canaryAuto?: number; off?: boolean }, command: Command) => {
        if (options.off && (options.entry || options.pod || options.env)) throw invalid(['off'], 'give --off alone, or --entry and --pod');
        if (!options.off && !options.entry) throw invalid(['entry'], 'name the service: --entry ENTRY --pod POD (or --off)');
        const release = options.off
          ? null
          : { entry: options.entry!, pod: options.pod ?? (await defaultPod(command)), ...(options.env ? { env: options.env } : {}), ...(options.canary !== undefined ? { canary: options.canary } : {}), ...(options.canaryAuto !== undefined ? { canaryAuto: options.canaryAuto } : {}) };
        printPipeline(command, await clientOf(command).apps.setPipeline(name, { release }));
      }),
    );
}
