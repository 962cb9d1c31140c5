import type { Command } from 'commander';
import { invalid } from '../../lib/errors.js';
import { formatMemory, parseMemory } from '../../lib/units.js';
import type { PodCreate } from 'eru-client';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals, wholeNumber } from '../options.js';

export function registerPod(program: Command): void {
  const pod = program.command('pod').description('pods: named groups of nodes with their CPU granularity');

  pod
    .command('add')
    .description('add a pod')
    .argument('<name>', 'pod name (a DNS label)')
    .option('--sharebase <n>', 'pieces per core: 10, 100 or 1000', wholeNumber('sharebase'), 100)
    .option('--maxshare <n>', 'most fragment cores per node, -1 for no cap', wholeNumber('maxshare'), -1)
    .option('--desc <text>', 'description', '')
    .option('--pids-limit <n>', 'most processes a workload may have', wholeNumber('pids-limit'))
    .option('--default-memory <size>', 'the memory limit of a workload that declares none, e.g. 512MiB')
    .action(
      action(async (name: string, options: { sharebase: number; maxshare: number; desc: string; pidsLimit?: number; defaultMemory?: string }, command: Command) => {
        const created = await clientOf(command).pods.create({
          name,
          description: options.desc,
          // As typed: the core says which are allowed (10, 100, 1000).
          sharebase: options.sharebase as PodCreate['sharebase'],
          maxshare: options.maxshare,
          ...(options.pidsLimit !== undefined ? { pidsLimit: options.pidsLimit } : {}),
          ...(options.defaultMemory !== undefined ? { defaultMemory: options.defaultMemory } : {}),
        });
        if (globals(command).json) printJson(created);
        else console.log(`pod ${created.name} added (sharebase ${created.sharebase}, maxshare ${created.maxshare})`);
      }),
    );

  pod
    .command('set')
    .description("change a pod: its shared root (where every node has the pod's MooseFS mount), its workloads' defaults")
    .argument('<name>')
    .option('--shared-root <dir>', 'the path of the MooseFS mount (or a directory in it) on every node')
    .option('--no-shared-root', 'take the shared root away')
    .option('--desc <text>', 'description')
    .option('--pids-limit <n>', 'most processes a workload may have', wholeNumber('pids-limit'))
    .option('--default-memory <size>', 'the memory limit of a workload that declares none (0: none)')
    .action(
      action(async (name: string, options: { sharedRoot?: string | false; desc?: string; pidsLimit?: number; defaultMemory?: string }, command: Command) => {
        const patch = {
          ...(options.sharedRoot !== undefined ? { sharedRoot: options.sharedRoot === false ? null : options.sharedRoot } : {}),
          ...(options.desc !== undefined ? { description: options.desc } : {}),
          ...(options.pidsLimit !== undefined ? { pidsLimit: options.pidsLimit } : {}),
          ...(options.defaultMemory !== undefined ? { defaultMemory: parseMemory(options.defaultMemory, ['default-memory']) } : {}),
        };
        if (Object.keys(patch).length === 0) throw invalid([], 'nothing to change: give --shared-root DIR, --no-shared-root, --desc, --pids-limit or --default-memory');
        const updated = await clientOf(command).pods.update(name, patch);
        if (globals(command).json) return printJson(updated);
        console.log(`pod ${updated.name}: shared root ${updated.sharedRoot ?? 'none'}, pids limit ${updated.pidsLimit}, default memory ${updated.defaultMemory > 0 ? formatMemory(updated.defaultMemory) : 'none'}`);
      }),
    );

  pod
    .command('ls')
    .description('list pods')
    .action(
      action(async (_options: unknown, command: Command) => {
        const pods = await clientOf(command).pods.list();
        if (globals(command).json) return printJson(pods);
        printTable([
          ['NAME', 'NODES', 'SHAREBASE', 'MAXSHARE', 'DESCRIPTION'],
          ...pods.map((p) => [p.name, p.nodeCount, p.sharebase, p.maxshare, p.description]),
        ]);
      }),
    );

  pod
    .command('show')
    .description('show a pod')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const shown = await clientOf(command).pods.get(name);
        if (globals(command).json) return printJson(shown);
        printTable([
          ['name', shown.name],
          ['description', shown.description],
          ['sharebase', `${shown.sharebase} (CPU granularity ${1 / shown.sharebase})`],
          ['maxshare', shown.maxshare === -1 ? 'no cap' : shown.maxshare],
          ['nodes', shown.nodeCount],
          ['shared root', shown.sharedRoot ?? '-'],
          ['created', shown.createdAt],
        ]);
      }),
    );

  pod
    .command('rm')
    .description('remove a pod (refused while it has nodes)')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const removed = await clientOf(command).pods.remove(name);
        if (globals(command).json) printJson(removed);
        else console.log(`pod ${removed.name} removed`);
      }),
    );
}
