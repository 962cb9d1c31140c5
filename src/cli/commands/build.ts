import type { Command } from 'commander';
import type { BuildEvent } from '../../contract/events.js';
import { EruError, invalid } from '../../lib/errors.js';
import { followToResult } from '../follow.js';
import { action } from '../output.js';
import { clientOf, defaultPod, globals } from '../options.js';

/** `eru build APP --revision SHA`: the image of one version, built from its app.yaml. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build a registered version of an app into an image tagged [REGISTRY/]APP:SHA and run its app.yaml tests, streaming both outputs (pushed when the core has --registry); exits non-zero when the tests fail')
    .argument('<app>')
    .option('--revision <sha>', 'the commit (7 to 40 hex digits) of a registered version')
    .option('--dir <checkout>', 'instead: the working tree of this checkout, its tracked files with their uncommitted changes (a local version, never released by itself)')
    .option('--pod <pod>', "the pod to build and test in; default: the client config's pod, or the only pod")
    .action(
      action(async (app: string, options: { revision?: string; dir?: string; pod?: string }, command: Command) => {
        if ((options.revision === undefined) === (options.dir === undefined)) throw invalid(['revision'], 'give --revision SHA (a registered version) or --dir CHECKOUT (a working tree)');
        const pod = options.pod ?? (await defaultPod(command));
        const print = (event: BuildEvent): void => {
          if (event.type === 'output') process.stderr.write(`${event.line}\n`);
          else if (event.type === 'building') process.stderr.write(`building ${event.image} on ${event.node}\n`);
          else if (event.type === 'pushed') process.stderr.write(`pushed ${event.image} to ${event.registry}\n`);
          else if (event.type === 'testing') process.stderr.write(`testing on ${event.node} (${event.workload}, ${event.cpu} CPU, timeout ${event.timeout} s)\n`);
          else if (event.type === 'test-output') process.stderr.write(`  | ${event.line}\n`);
          else if (event.type === 'tested') process.stderr.write(`tests ${event.state}${event.exitCode !== undefined && event.state !== 'passed' ? ` (exit ${event.exitCode})` : ''}${event.reason ? `: ${event.reason}` : ''} in ${(event.durationMs / 1000).toFixed(1)} s\n`);
        };
        let result: Extract<BuildEvent, { type: 'result' }>;
        if (options.dir !== undefined) {
          const { buildWorkingTree } = await import('../run/local-build.js');
          const local = await buildWorkingTree(clientOf(command), app, options.dir, pod, print);
          process.stderr.write(`the working tree is local version ${local.sha.slice(0, 7)}\n`);
          result = local.result;
        } else {
          const body = { version: options.revision!, pod };
          result = await followToResult<BuildEvent>(command, (client, onEvent) => client.apps.build(app, body, onEvent), print);
        }
        // A version whose tests failed exits non-zero, as a CI step would.
        if (!result.ok) throw new EruError(result.error.code, result.error.message);
        if (!globals(command).json) console.log(`built ${result.image} on ${result.node}${result.test === 'passed' ? '; its tests passed' : ''}`);
      }),
    );
}
