import type { Command } from 'commander';
import { action } from '../output.js';
import { clientOf, globals } from '../options.js';

/** `eru watch`: every change as it happens, one line each (or JSON lines with --json). */
export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('print state changes live: deploys, workloads starting and dying, nodes going down and up')
    .option('--app <app>')
    .option('--pod <pod>')
    .option('--node <node>')
    .option('--type <type>', 'only this event type or family, e.g. workload or node.down')
    .action(
      action(async (options: Record<string, string | undefined>, command: Command) => {
        const opened = (): void => void process.stderr.write('watching; Ctrl-C to stop\n');
        for await (const e of clientOf(command).events(options, opened)) {
          if (globals(command).json) {
            process.stdout.write(`${JSON.stringify(e)}\n`);
            continue;
          }
          const where = [e.pod && `pod=${e.pod}`, e.app && `app=${e.app}`, e.node && `node=${e.node}`, e.workload && `workload=${e.workload}`].filter(Boolean).join(' ');
          const data = Object.keys(e.data).length > 0 ? ` ${JSON.stringify(e.data)}` : '';
          process.stdout.write(`${e.time} ${e.type.padEnd(16)} ${where}${data}\n`);
        }
      }),
    );
}
