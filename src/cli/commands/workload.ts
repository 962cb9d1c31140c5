import type { Command } from 'commander';
import type { Workload } from '../../model/workload.js';
import type { WorkloadKind, WorkloadState } from '../../contract/workloads.js';
import { formatMemory } from '../../lib/units.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, collect, globals, wholeNumber } from '../options.js';
import { invalid } from '../../lib/errors.js';
import { drained } from '../../lib/drain.js';
import { parseMemory } from '../../lib/units.js';
import { addressesOf, cpuNumber, placementBody, placementOptions, printWorkloads, type PlacementOptions } from './deploy.js';


/** Says how a reference found its workload when it was not the workload's own name. */
const matched = (ref: string, w: Workload): string => (ref === w.id ? '' : ` (matched by container id ${ref})`);

/** Workloads once placed: ps, inspect, stop/start/restart, rm, logs; and capacity. */
/** `eru logs` shows this many lines unless told otherwise: a log can be long. */
const DEFAULT_TAIL = 200;

function tailLines(value: string): number | 'all' {
  return value === 'all' ? 'all' : wholeNumber('tail')(value);
}

export function registerWorkloads(program: Command): void {
  program
    .command('ps')
    .description('list workloads')
    .option('--pod <pod>')
    .option('--app <app>')
    .option('--entry <entry>')
    .option('--node <node>')
    .option('--status <state>', 'only workloads in this state: creating, running, healthy, unhealthy, starting, exited, removing, unknown')
    .option('--kind <kind>', "only a service's instances (service) or only offline jobs (job)")
    .option('--jobs', 'only jobs: the same as --kind job')
    .action(
      action(async (options: { pod?: string; app?: string; entry?: string; node?: string; status?: WorkloadState; kind?: WorkloadKind; jobs?: boolean }, command: Command) => {
        const { jobs, ...filter } = options;
        if (jobs && filter.kind !== undefined && filter.kind !== 'job') throw invalid(['kind'], '--jobs lists jobs: leave out --kind, or say --kind job');
        const workloads = await clientOf(command).workloads.list({ ...filter, ...(jobs ? { kind: 'job' as const } : {}) });
        if (globals(command).json) return printJson(workloads);
        printWorkloads(workloads);
      }),
    );

  program
    .command('inspect')
    .description("a workload's placement and its container's state as Docker reports it")
    .argument('<id>', 'workload id, container id or name, or an unambiguous prefix')
    .action(
      action(async (ref: string, _options: unknown, command: Command) => {
        const shown = await clientOf(command).workloads.inspect(ref);
        if (globals(command).json) return printJson(shown);
        const { workload: w, container: c } = shown;
        printTable([
          ['id', w.id],
          ['app / entry', `${w.app} / ${w.entry}`],
          ['pod / node', `${w.pod} / ${w.node}`],
          ['image', w.image],
          ['command', w.command.length > 0 ? JSON.stringify(w.command) : '(image default)'],
          ['cpu', `${w.cpu}${w.bind ? ' bound' : ' unbound'}`],
          ['cores (pieces)', w.placement.cpuset ? Object.entries(w.placement.cpuset).map(([core, p]) => `${core}:${p}`).join(',') : 'shared pool'],
          ['cpuset', w.cpuSettings.cpusetCpus],
          ['cpu shares / quota', `${w.cpuSettings.cpuShares} / ${w.cpuSettings.cpuQuota > 0 ? `${w.cpuSettings.cpuQuota} per 100000 µs` : 'none'}`],
          ['memory', w.placement.memory > 0 ? formatMemory(w.placement.memory) : 'no limit'],
          ['numa', w.placement.numa ?? '-'],
          ['addresses', addressesOf(w)],
          ...(w.shared.length > 0 ? [['shared volumes', w.shared.map((v, i) => `${v.name} at ${v.path} (${w.sharedDirs[i] ?? '?'}${v.size ? `, quota ${formatMemory(v.size)}` : ''})`).join('; ')]] : []),
          ...(w.rate ? [['rate', `${w.rate}${shown.status?.qos ? ` (applied: ${shown.status.qos})` : ' (not applied yet: the node\'s agent applies it)'}`]] : []),
          ['container', c ? `${w.containerId ?? ''} ${c.status}${c.running ? '' : ` (exit ${c.exitCode})`}` : 'gone'],
          ['cpu quota', w.cpuSettings.cpuQuota <= 0 ? 'none' : w.quotaSince ? `on since ${w.quotaSince}` : `not yet: startup boost (${w.startupBoost ?? 0} s or until healthy)`],
          ['docker cpuset', c?.cpusetCpus ?? '-'],
        ]);
      }),
    );

  for (const verb of ['start', 'stop', 'restart'] as const) {
    program
      .command(verb)
      .description(`${verb} workloads`)
      .argument('<ids...>')
      .option('--time <seconds>', 'seconds to wait after SIGTERM before SIGKILL (stop, restart)', wholeNumber('time'), 10)
      .action(
        action(async (refs: string[], options: { time: number }, command: Command) => {
          for (const ref of refs) {
            const w = await clientOf(command).workloads.control(ref, verb, options.time);
            if (!globals(command).json) console.log(`${verb}: ${w.id}${matched(ref, w)}`);
            else printJson(w);
          }
        }),
      );
  }

  program
    .command('rm')
    .description('remove workloads (by full name or container id prefix): before_stop hooks run, the containers go and their cores are free again')
    .argument('<ids...>')
    .option('--drain <seconds>', 'take each out of its endpoints this long before it stops', wholeNumber('drain'), 0)
    .action(
      action(async (refs: string[], options: { drain: number }, command: Command) => {
        for (const ref of refs) {
          const w = await clientOf(command).workloads.remove(ref, { drain: options.drain });
          if (globals(command).json) printJson(w);
          else console.log(`removed ${w.id} from ${w.node} (freed ${w.cpu} CPU ${w.placement.cpuset ? `on cores ${w.cpuSettings.cpusetCpus}` : 'of the shared pool'})${matched(ref, w)}`);
        }
      }),
    );

  program
    .command('realloc')
    .description('resize a workload in place: new cores and memory, planned keeping the cores it has; the process is not restarted')
    .argument('<id>', 'workload name or container id prefix')
    .option('--cpu <cpu>', 'new CPU, e.g. 2.5')
    .option('--memory <size>', 'new memory limit, e.g. 1GiB')
    .option('--unbind', 'leave its pinned cores: run on the shared pool under a quota')
    .option('--bind', 'pin it to cores')
    .action(
      action(async (ref: string, options: { cpu?: string; memory?: string; unbind?: boolean; bind?: boolean }, command: Command) => {
        if (options.unbind && options.bind) throw invalid(['bind'], 'give --bind or --unbind, not both');
        const w = await clientOf(command).workloads.resize(ref, {
          ...(options.cpu !== undefined ? { cpu: cpuNumber(options.cpu) } : {}),
          ...(options.memory !== undefined ? { memory: parseMemory(options.memory, ['memory']) } : {}),
          ...(options.unbind ? { bind: false } : options.bind ? { bind: true } : {}),
        });
        if (globals(command).json) return printJson(w);
        console.log(`${w.id} now holds ${w.cpu} CPU on ${w.placement.cpuset ? `cores ${w.cpuSettings.cpusetCpus}` : `the shared pool (${w.cpuSettings.cpusetCpus})`}, ${w.placement.memory > 0 ? formatMemory(w.placement.memory) : 'no memory limit'}`);
      }),
    );

  program
    .command('logs')
    .description("a workload's output")
    .argument('<id>')
    .option('-f, --follow', 'keep following')
    .option('--tail <n|all>', `only the last N lines (${DEFAULT_TAIL} unless said; all: the whole log)`, tailLines, DEFAULT_TAIL)
    .action(
      action(async (ref: string, options: { follow?: boolean; tail: number | 'all' }, command: Command) => {
        for await (const line of clientOf(command).workloads.logs(ref, { follow: Boolean(options.follow), ...(options.tail !== 'all' ? { tail: options.tail } : {}) })) {
          const out = globals(command).json || line.stream === 'stdout' ? process.stdout : process.stderr;
          // At the terminal's (or pipe's) pace, so a long log does not pile up here.
          if (!out.write(globals(command).json ? `${JSON.stringify(line)}\n` : `${line.line}\n`)) await drained(out);
        }
      }),
    );

  const capacity = program
    .command('capacity')
    .description('how many more of a request a pod can take (dry run)')
    .option('--publish <[ip:]port:port>', 'a host port each instance would publish (nodes where it is held are left out)', collect, []);
  placementOptions(capacity, '1').action(
    action(async (options: PlacementOptions & { publish: string[] }, command: Command) => {
      const { pod, ...body } = await placementBody(options, command);
      const report = await clientOf(command).pods.capacity(String(pod), { ...body, ...(options.publish.length > 0 ? { publish: options.publish } : {}) });
      if (globals(command).json) return printJson(report);
      printTable([['NODE', 'CAPACITY', 'LIMITED BY'], ...report.nodes.map((n) => [n.node, n.capacity, n.reason ?? '']), ['total', report.total, '']]);
    }),
  );
}
