import type { Command } from 'commander';
import type { BuildEvent } from '../../core/builds.js';
import { EruError } from '../../lib/errors.js';
import { action } from '../output.js';
import { clientOf, globals } from '../options.js';

/** `eru build APP --revision SHA`: the image of one version, built from its app.yaml. */
export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build a registered version of an app into an image tagged [REGISTRY/]APP:SHA7, streaming the build output (pushed when the core has --registry)')
    .argument('<app>')
    .requiredOption('--revision <sha>', 'the commit (7 to 40 hex digits)')
    .option('--pod <pod>', 'the pod to build on (its least busy node)', 'demo')
    .action(
      action(async (app: string, options: { revision: string; pod: string }, command: Command) => {
        let result: Extract<BuildEvent, { type: 'result' }> | undefined;
        const body = { version: options.revision, pod: options.pod };
        for await (const event of clientOf(command).stream<BuildEvent>('POST', `/v1/apps/${encodeURIComponent(app)}/builds`, body)) {
          if (globals(command).json) process.stdout.write(`${JSON.stringify(event)}\n`);
          else if (event.type === 'output') process.stderr.write(`${event.line}\n`);
          else if (event.type === 'building') process.stderr.write(`building ${event.image} on ${event.node}\n`);
          else if (event.type === 'pushed') process.stderr.write(`pushed ${event.image} to ${event.registry}\n`);
          if (event.type === 'result') result = event;
        }
        if (!result) throw new EruError('UNAVAILABLE', 'the core closed the stream before the result');
        if (!result.ok) throw new EruError(result.error.code, result.error.message);
        if (!globals(command).json) console.log(`built ${result.image} on ${result.node}`);
      }),
    );
}
