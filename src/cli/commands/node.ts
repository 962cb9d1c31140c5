import type { Command } from 'commander';
import type { DrainEvent } from '../../contract/events.js';
import type { NodeView } from '../../contract/nodes.js';
import { EruError, invalid } from '../../lib/errors.js';
import { formatMemory, parseMemory } from '../../lib/units.js';
import { followToResult } from '../follow.js';
import { action, printJson, printTable } from '../output.js';
import { Progress } from '../progress.js';
import { showEvent } from './deploy.js';
import { clientOf, collect, coreList, globals, keyValue, readTextFile, wholeNumber, seconds } from '../options.js';

interface NodeAddOptions {
  endpoint: string;
  cpu?: number;
  cpus?: string[];
  memory?: string;
  label?: Record<string, string>;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  numa?: string[];
  numaMemory?: string[];
  macvlanParent?: string;
  reserveCpus?: string[];
  insecure?: boolean;
}

interface NodeSetOptions {
  label?: Record<string, string>;
  unlabel?: string[];
  bypass?: boolean;
  cpu?: number;
  cpus?: string[];
  memory?: string;
  macvlanParent?: string | false;
  reserveCpus?: string[];
  sharedRoot?: string | false;
  gone?: boolean;
}

export function registerNode(program: Command): void {
  const node = program.command('node').description('nodes: the Docker hosts of a pod');

  node
    .command('add')
    .description("add a Docker host to a pod; CPU and memory come from the daemon unless given")
    .argument('<pod>')
    .argument('<name>')
    .requiredOption('--endpoint <url>', 'unix:///var/run/docker.sock or tcp://host:port')
    .option('--cpu <n>', 'use cores 0..n-1', wholeNumber('cpu'))
    .option('--cpus <list>', 'use these cores, e.g. 0,2,4-7', coreList('cpus'))
    .option('--memory <size>', 'memory Eru may hand out, e.g. 16GiB')
    .option('--label <k=v>', 'a label (repeatable)', keyValue('label'))
    .option('--tls-ca <file>', 'CA certificate for a TCP endpoint')
    .option('--tls-cert <file>', 'client certificate')
    .option('--tls-key <file>', 'client key')
    .option('--insecure', 'a tcp:// endpoint without TLS: the Docker API (root on that host) in clear; only on a network you trust')
    .option('--numa <id=cores>', 'a NUMA node and its cores, e.g. 0=0-3 (repeatable)', collect)
    .option('--numa-memory <id=size>', "a NUMA node's memory, e.g. 0=8GiB (repeatable)", collect)
    .option('--macvlan-parent <iface>', "the interface Eru's MacVLAN networks sit on (never a management interface you need)")
    .option('--reserve-cpus <list>', "cores kept for the host's own daemons, never scheduled on, e.g. 0 or 0,1", coreList('reserve-cpus'))
    .action(
      action(async (pod: string, name: string, options: NodeAddOptions, command: Command) => {
        const tlsFiles = [options.tlsCa, options.tlsCert, options.tlsKey];
        if (tlsFiles.some(Boolean) && !tlsFiles.every(Boolean)) throw invalid(['tls'], 'TLS needs --tls-ca, --tls-cert and --tls-key together');
        const body = {
          name,
          endpoint: options.endpoint,
          ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
          ...(options.cpus ? { cpus: options.cpus } : {}),
          ...(options.memory !== undefined ? { memory: parseMemory(options.memory, ['memory']) } : {}),
          labels: options.label ?? {},
          ...(options.tlsCa
            ? { tls: { ca: readTextFile('tls-ca', options.tlsCa), cert: readTextFile('tls-cert', options.tlsCert!), key: readTextFile('tls-key', options.tlsKey!) } }
            : {}),
          ...(options.numa ? { numa: parseNuma(options.numa) } : {}),
          ...(options.numaMemory ? { numaMemory: parseNumaMemory(options.numaMemory) } : {}),
          ...(options.macvlanParent ? { macvlanParent: options.macvlanParent } : {}),
          ...(options.reserveCpus ? { reserveCpus: options.reserveCpus } : {}),
          ...(options.insecure ? { insecure: true } : {}),
        };
        const added = await clientOf(command).nodes.add(pod, body);
        if (globals(command).json) return printJson(added);
        console.log(`node ${added.name} added to pod ${added.pod}: ${added.cpus.length} cores, ${formatMemory(added.memory)}`);
      }),
    );

  node
    .command('ls')
    .description('list nodes, of one pod or all')
    .argument('[pod]')
    .action(
      action(async (pod: string | undefined, _options: unknown, command: Command) => {
        const nodes = await clientOf(command).nodes.list(pod);
        if (globals(command).json) return printJson(nodes);
        printTable([
          ['NAME', 'POD', 'ENDPOINT', 'STATE', 'CPU FREE', 'MEMORY FREE', 'BYPASS', 'LABELS'],
          ...nodes.map((n) => [
            n.name,
            n.pod,
            n.endpoint,
            // Its agent answers, its Docker does not: it takes nothing new.
            n.liveness.state === 'up' && n.usage?.engineError ? 'up, Docker down' : n.liveness.state,
            `${n.resources.cpuFree}/${n.resources.cpuTotal}`,
            `${formatMemory(n.resources.memoryFree)}/${formatMemory(n.resources.memoryTotal)}`,
            n.bypass ? 'yes' : 'no',
            Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(',') || '-',
          ]),
        ]);
      }),
    );

  node
    .command('show')
    .description('show a node and its CPU map')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const shown = await clientOf(command).nodes.get(name);
        if (globals(command).json) return printJson(shown);
        printNode(shown);
      }),
    );

  node
    .command('set')
    .description("change a node's labels, bypass flag or declared resources")
    .argument('<name>')
    .option('--label <k=v>', 'set a label (repeatable)', keyValue('label'))
    .option('--unlabel <key>', 'remove a label (repeatable)', collect)
    .option('--bypass', 'take the node out of scheduling')
    .option('--no-bypass', 'put the node back into scheduling')
    .option('--cpu <n>', 'use cores 0..n-1', wholeNumber('cpu'))
    .option('--cpus <list>', 'use these cores, e.g. 0,2,4-7', coreList('cpus'))
    .option('--memory <size>', 'memory Eru may hand out')
    .option('--macvlan-parent <iface>', "the interface Eru's MacVLAN networks sit on")
    .option('--no-macvlan-parent', 'take the macvlan parent away (refused while workloads use it)')
    .option('--reserve-cpus <list>', 'the cores kept for the host, as a whole new list ("" gives them all back)', (value: string) => (value === '' ? [] : coreList('reserve-cpus')(value)))
    .option('--shared-root <dir>', "this node's own path to the pod's MooseFS mount (shared volumes)")
    .option('--no-shared-root', "use the pod's shared root again")
    .option('--gone', 'a down node that will not come back as it was: its instances are forgotten and replaced (fixed addresses move), its containers removed if it returns')
    .option('--no-gone', 'schedule on a node declared gone again')
    .action(
      action(async (name: string, options: NodeSetOptions, command: Command) => {
        const labels: Record<string, string | null> = { ...options.label };
        for (const key of options.unlabel ?? []) labels[key] = null;
        const patch = {
          ...(Object.keys(labels).length > 0 ? { labels } : {}),
          ...(options.bypass !== undefined ? { bypass: options.bypass } : {}),
          ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
          ...(options.cpus ? { cpus: options.cpus } : {}),
          ...(options.memory !== undefined ? { memory: parseMemory(options.memory, ['memory']) } : {}),
          ...(options.macvlanParent !== undefined ? { macvlanParent: options.macvlanParent === false ? null : options.macvlanParent } : {}),
          ...(options.reserveCpus !== undefined ? { reserveCpus: options.reserveCpus } : {}),
          ...(options.sharedRoot !== undefined ? { sharedRoot: options.sharedRoot === false ? null : options.sharedRoot } : {}),
          ...(options.gone !== undefined ? { gone: options.gone } : {}),
        };
        if (Object.keys(patch).length === 0) throw invalid([], 'nothing to change: give --label, --unlabel, --bypass, --no-bypass, --cpu, --cpus, --memory, --macvlan-parent, --reserve-cpus, --shared-root or --gone');
        const updated = await clientOf(command).nodes.update(name, patch);
        if (globals(command).json) return printJson(updated);
        printNode(updated);
      }),
    );

  node
    .command('drain')
    .description('empty a node: it takes nothing new, every kept instance moves off it (its replacement healthy first), jobs are waited for; then what is left')
    .argument('<name>')
    .option('--deadline <duration>', 'how long to wait for jobs and moves', seconds('deadline'), 600)
    .option('--force', 'at the deadline, remove what is left (jobs, workloads no service keeps)')
    .option('--drain <duration>', 'how long a moved instance is out of the endpoints before it stops', seconds('drain'), 2)
    .action(
      action(async (name: string, options: { deadline: number; force?: boolean; drain: number }, command: Command) => {
        const progress = new Progress(`draining ${name}`);
        const result = await followToResult<DrainEvent>(
          command,
          (client, onEvent) => client.nodes.drain(name, { deadline: options.deadline, force: Boolean(options.force), drain: options.drain }, onEvent),
          (event) => {
            if (event.type === 'moved') progress.item(`moved ${event.id} → ${event.to} on ${event.node}`);
            else if (event.type === 'left') progress.item(`left ${event.id}: ${event.reason}`);
            else if (event.type !== 'result') showEvent(event, progress);
          },
        ).finally(() => progress.done());
        if (result.type !== 'result') return;
        if (result.error) throw new EruError(result.error.code, result.error.message);
        const left = Object.entries(result.left);
        if (!globals(command).json) {
          console.log(`${name}: ${result.moved} instance(s) moved; ${left.length === 0 ? 'nothing left on it' : `${left.length} left:`}`);
          for (const [id, reason] of left) console.log(`  ${id}: ${reason}`);
        }
        if (left.length > 0) process.exitCode = 1;
      }),
    );

  node
    .command('undrain')
    .description('schedule on a drained node again')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const updated = await clientOf(command).nodes.undrain(name);
        if (globals(command).json) return printJson(updated);
        console.log(`node ${name} is scheduled on again`);
      }),
    );

  node
    .command('token')
    .description("issue a token for the node's agent (shown once; eru token ls lists it, eru token rm revokes it)")
    .argument('<name>')
    .option('--expires <duration>', 'expires after this long: 30d, 12h (default: never)')
    .action(
      action(async (name: string, options: { expires?: string }, command: Command) => {
        const issued = await clientOf(command).nodes.issueToken(name, options.expires ? { expires: options.expires } : {});
        if (globals(command).json) printJson(issued);
        else console.log(issued.token);
      }),
    );

  node
    .command('rm')
    .description('remove a node (refused while it has workloads)')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const removed = await clientOf(command).nodes.remove(name);
        if (globals(command).json) printJson(removed);
        else console.log(`node ${removed.name} removed from pod ${removed.pod}`);
      }),
    );
}

function parseNuma(specs: string[]): Record<string, string[]> {
  return Object.fromEntries(
    specs.map((spec) => {
      const [id, cores] = spec.split('=');
      if (!id || !cores) throw invalid(['numa'], `"${spec}" is not ID=CORES, e.g. 0=0-3`);
      return [id, coreList('numa')(cores)];
    }),
  );
}

function parseNumaMemory(specs: string[]): Record<string, number> {
  return Object.fromEntries(
    specs.map((spec) => {
      const [id, size] = spec.split('=');
      if (!id || !size) throw invalid(['numa-memory'], `"${spec}" is not ID=SIZE, e.g. 0=8GiB`);
      return [id, parseMemory(size, ['numa-memory'])];
    }),
  );
}

const BAR_WIDTH = 20;

function printNode(node: NodeView): void {
  printTable([
    ['name', node.name],
    ['pod', node.pod],
    ['endpoint', `${node.endpoint}${node.tls ? ' (TLS)' : ''}`],
    ['engine', `Docker ${node.engine.version}, ${node.engine.os}`],
    ['labels', Object.entries(node.labels).map(([k, v]) => `${k}=${v}`).join(', ') || '-'],
    ['bypass', node.bypass ? 'yes (not scheduled on)' : 'no'],
    ['macvlan parent', node.macvlanParent ?? '- (no workloads on Eru\'s networks here)'],
    ['shared root', node.sharedRoot ?? "- (the pod's)"],
    ['reserved cores', node.reservedCpus.length > 0 ? `${node.reservedCpus.join(',')} (for the host, never scheduled on)` : '-'],
    ['agent', `${node.liveness.state}${node.liveness.since ? ` since ${node.liveness.since}` : ''}${node.liveness.reason ? ` (${node.liveness.reason})` : ''}`],
    ['cpu', `${node.resources.cpuFree} of ${node.resources.cpuTotal} free (unbound workloads hold ${node.resources.unboundCpu})`],
    ['memory', `${formatMemory(node.resources.memoryFree)} of ${formatMemory(node.resources.memoryTotal)} free`],
    ...(node.numa ? [['numa', Object.entries(node.numa).map(([id, cores]) => `${id}: ${cores.join(',')}`).join('; ')]] : []),
  ]);
  console.log(`\nCPU map (sharebase ${node.sharebase}: one piece = ${1 / node.sharebase} CPU; maxshare caps the SHARED cores)`);
  printTable([
    ['CORE', 'FREE', 'USED', 'STATE', 'SHARED', ''],
    ...node.cpuMap.map((core) => {
      const used = Math.round((core.used / node.sharebase) * BAR_WIDTH);
      const shared = core.fragments > 0 ? `yes (${core.fragments} fragment${core.fragments === 1 ? '' : 's'})` : '-';
      return [core.core, core.free, core.used, core.state, shared, `[${'#'.repeat(used)}${'.'.repeat(BAR_WIDTH - used)}]`];
    }),
  ]);
}
