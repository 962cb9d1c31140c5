import type { Command } from 'commander';
import { action } from '../output.js';
import { clientOf, globals } from '../options.js';

/** `eru apply FILE [--dry-run]`: a desired-state file, converged once with deploy, replace, realloc and scale. */
export function registerApply(program: Command): void {
  program
    .command('apply')
    .description('converge services to a desired-state file (per service: app, pod, entry, version or image, count, cpu, memory, envSet, networks); --dry-run prints the changes only')
    .argument('<file>', 'YAML: services: [{app, pod, entry, version, count, cpu, memory, ...}]')
    .option('--dry-run', 'print what would change and change nothing')
    .option('--allow-untested', "run versions whose app.yaml tests failed or have not passed")
    .action(
      action(async (file: string, options: { dryRun?: boolean; allowUntested?: boolean }, command: Command) => {
        const { runApply } = await import('../run/apply.js');
        await runApply(clientOf(command), file, { dryRun: Boolean(options.dryRun), allowUntested: Boolean(options.allowUntested), json: Boolean(globals(command).json) });
      }),
    );
}
