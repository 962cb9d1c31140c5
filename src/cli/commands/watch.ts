import type { Command } from 'commander';
import { action } from '../output.js';
import { clientOf, globals } from '../options.js';

/**
 * `eru watch`: every change as it happens, one line each (or JSON lines with --json). With several
 * cores it outlives the one it watches through: the client resumes on another from the last event.
 */
export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('print state changes live: deploys, workloads starting and dying, nodes going down and up')
    .option('--app <app>')
    .option('--pod <pod>')
    .option('--node <node>')
    .option('--type <type>', 'only this event type or family, e.g. workload or node.down')
    .option('--since <position>', "replay from just after this position (an event's revision.index, as --json prints it), then go on live")
    .action(
      action(async (options: Record<string, string | undefined>, command: Command) => {
        const client = clientOf(command);
        let opened = 0;
        let last = options.since;
        const onOpen = (): void => void process.stderr.write(opened++ === 0 ? 'watching; Ctrl-C to stop\n' : `resumed on ${client.url}${last ? ` after ${last}` : ''}\n`);
        const onCut = (): void => void process.stderr.write(`the stream from ${client.url} was cut; resuming\n`);
        for await (const e of client.events(options, onOpen, undefined, { onCut })) {
          if (e.revision !== undefined) last = `${e.revision}.${e.index ?? 0}`;
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
