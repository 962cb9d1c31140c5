import type { Command } from 'commander';
import { action } from '../output.js';
import { globals } from '../options.js';

/** `eru plan SCENARIO`: the scheduler run on a file instead of the store (loaded only for this command). */
export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('plan a deploy offline from a YAML or JSON scenario: per-node capacity and placements')
    .argument('<scenario>', 'scenario file (YAML or JSON); - reads standard input')
    .action(
      action(async (file: string, _options: unknown, command: Command) => {
        const { runPlan } = await import('../run/plan.js');
        await runPlan(file, globals(command).json === true);
      }),
    );
}
