import type { Command } from 'commander';
import type { DeployEvent } from '../../contract/events.js';
import type { Workload } from '../../model/workload.js';
import { EruError, invalid } from '../../lib/errors.js';
import { LIMIT_MEANING } from '../../model/strategies.js';
import { formatMemory, parseMemory } from '../../lib/units.js';
import { followToResult, type Start } from '../follow.js';
import { age } from '../../lib/time.js';
import { action, printTable } from '../output.js';
import { collect, defaultPod, globals, keyValue, wholeNumber, seconds } from '../options.js';
import { Progress } from '../progress.js';
import { networksBody } from './network.js';
import type { DeployBody } from 'eru-client';

export interface PlacementOptions {
  pod?: string;
  cpu: string;
  memory?: string;
  bind: boolean;
  node?: string[];
  nodeLabel?: Record<string, string>;
}

interface DeployOptions extends PlacementOptions {
  app?: string;
  entry: string;
  image?: string;
  version?: string;
  envSet?: string;
  allowUntested?: boolean;
  count: number;
  strategy: string;
  limit: number;
  strict?: boolean;
  keep: boolean;
  lostAfter?: number;
  env?: Record<string, string>;
  publish?: string[];
  volume?: string[];
  shared?: string[];
  restart: string;
  user?: string;
  capAdd?: string[];
  workdir?: string;
  label?: Record<string, string>;
  healthTcp?: string[];
  healthHttp?: string;
  healthInterval: number;
  network?: string[];
  rate?: string;
  expose?: string[];
  startupBoost?: string;
}

/** `--health-tcp 8080 --health-http 8080:/ready:200` → the API's healthcheck object. */
function healthcheckBody(options: DeployOptions): Record<string, unknown> | undefined {
  if (!options.healthTcp && !options.healthHttp) return undefined;
  const tcpPorts = (options.healthTcp ?? []).map((p) => wholeNumber('health-tcp')(p));
  let http: Record<string, unknown> | undefined;
  if (options.healthHttp) {
    const match = /^(\d+)(?::(\/[^:]*))?(?::(\d{3}))?$/.exec(options.healthHttp);
    if (!match) throw invalid(['health-http'], `"${options.healthHttp}" is not PORT[:PATH[:CODE]], e.g. 8080:/ready:200`);
    http = { port: Number(match[1]), ...(match[2] ? { path: match[2] } : {}), ...(match[3] ? { code: Number(match[3]) } : {}) };
  }
  return { tcpPorts, ...(http ? { http } : {}), intervalSeconds: options.healthInterval };
}

export function cpuNumber(value: string): number {
  const cpu = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !Number.isFinite(cpu)) throw invalid(['cpu'], `"${value}" is not a number of CPUs`);
  return cpu;
}

/** `data:/data[:10GiB]` → a shared volume; the core checks the name, path and size. */
export function sharedVolumeOption(spec: string, index: number): { name: string; path: string; size?: string } {
  const match = /^([^:]+):([^:]+)(?::([^:]+))?$/.exec(spec);
  if (!match) throw invalid(['shared', index], `"${spec}": give NAME:/PATH or NAME:/PATH:SIZE, e.g. data:/data:10GiB`);
  return { name: match[1]!, path: match[2]!, ...(match[3] ? { size: match[3] } : {}) };
}

/** Options shared by deploy, run and capacity: where and how much. */
export function placementOptions(command: Command, cpuDefault: string): Command {
  return command
    .option('--pod <pod>', "the pod to place into (default: the client config's pod, or the only pod)")
    .option('--cpu <cpu>', 'CPU per instance (e.g. 1.3: one exclusive core plus 0.3 of a shared one)', cpuDefault)
    .option('--memory <size>', 'memory limit per instance, e.g. 512MiB')
    .option('--no-bind', 'do not pin: run on the shared pool under a CPU quota')
    .option('--node <name>', 'only this node (repeatable)', collect)
    .option('--node-label <k=v>', 'only nodes with this label (repeatable)', keyValue('node-label'));
}

export async function placementBody(options: PlacementOptions, command: Command): Promise<Record<string, unknown>> {
  return {
    pod: options.pod ?? (await defaultPod(command)),
    cpu: cpuNumber(options.cpu),
    memory: options.memory !== undefined ? parseMemory(options.memory, ['memory']) : 0,
    bind: options.bind,
    nodes: options.node ?? [],
    nodeLabels: options.nodeLabel ?? {},
  };
}

export function registerDeploy(program: Command): void {
  const deploy = program
    .command('deploy')
    .description('deploy N containers of an image into a pod, pinned to exact cores')
    .option('--app <app>', 'app name (or give it first: eru deploy APP --version SHA7 ...)')
    .option('--entry <entry>', 'entrypoint name', 'main')
    .option('--image <image>', 'image to run (present on the nodes)')
    .option('--version <sha7>', "a built version of the app: image, command, health check from its app.yaml entrypoint")
    .option('--env-set <env>', 'add the env vars of this environment (eru app env set)')
    .option('--allow-untested', "run a version whose app.yaml tests failed or have not passed")
    .option('--count <n>', 'how many', wholeNumber('count'), 1)
    .option('--strategy <s>', 'AUTO, FILL, EACH, GLOBAL or DRAINED', 'AUTO')
    .option('--limit <n>', `${LIMIT_MEANING.replaceAll('`', '')}`, wholeNumber('limit'), 0)
    .option('--strict', 'EACH: all or nothing: refuse the deploy when a node cannot take --count (default: place where it fits, report the others)')
    .option('--no-keep', 'do not have the leader keep the service at its count (lost instances stay lost)')
    .option('--lost-after <duration>', 'how long an instance\'s node may be down before it is replaced elsewhere (default 60s)', seconds('lost-after'))
    .option('--env <K=V>', 'environment variable (repeatable)', keyValue('env'))
    .option('--publish <spec>', '[HOST_IP:]HOST_PORT:CONTAINER_PORT; binds 127.0.0.1 unless a host address is given', collect)
    .option('--volume <spec>', '/host:/container[:ro] (repeatable)', collect)
    .option('--shared <name:path[:size]>', "a shared volume of the app on the pod's MooseFS, e.g. data:/data:10GiB (repeatable)", collect)
    .option('--restart <policy>', 'no, always, unless-stopped, on-failure[:N]', 'no')
    .option('--user <user>', 'user in the container (admin only; an app version runs as 10001:10001)')
    .option('--cap-add <cap>', 'give back a capability dropped by default (NET_RAW, MKNOD) or add one (admin only)', collect)
    .option('--workdir <dir>', 'working directory in the container')
    .option('--label <k=v>', 'container label (repeatable)', keyValue('label'))
    .option('--health-tcp <port>', 'healthy when this port accepts connections (repeatable)', collect)
    .option('--health-http <port[:path[:code]]>', 'healthy when GET answers this code (default / and 200)')
    .option('--health-interval <seconds>', 'seconds between health checks', wholeNumber('health-interval'), 2)
    .option('--network <net[:ips]>', "a MacVLAN network (repeatable); NET:IP,IP or NET:FROM-TO fixes the addresses, one per instance; `host` for the host's network", collect)
    .option('--expose <port>', 'a container port the workload answers on, PORT[/tcp|udp], listed in its endpoints (repeatable)', collect)
    .option('--startup-boost <seconds>', 'run without the CPU quota at start until healthy or this long, e.g. 30s (default: the quota comes on once it runs)')
    .option('--rate <rate>', 'egress rate of the macvlan interfaces, e.g. 100mbit (applied by the node\'s agent)')
    .argument('[args...]', '[APP] then the command and arguments (after --)');
  placementOptions(deploy, '1').action(
    action(async (args: string[], options: DeployOptions, cmd: Command) => {
      const command = [...args];
      const app = options.app ?? (options.version ? command.shift() : undefined);
      if (!app) throw invalid(['app'], 'name the app: --app APP, or eru deploy APP --version SHA7');
      if (!options.image && !options.version) throw invalid(['image'], 'give --image, or --version to run a built version of the app');
      const healthcheck = healthcheckBody(options);
      const body = {
        ...(await placementBody(options, cmd)),
        app,
        entry: options.entry,
        ...(options.image ? { image: options.image } : {}),
        ...(options.version ? { version: options.version } : {}),
        ...(options.envSet ? { envSet: options.envSet } : {}),
        ...(options.allowUntested ? { allowUntested: true } : {}),
        command,
        count: options.count,
        // As typed: the core says which strategies there are.
        strategy: options.strategy.toUpperCase() as DeployBody['strategy'],
        limit: options.limit,
        ...(options.strict ? { strict: true } : {}),
        ...(options.keep ? {} : { keep: false }),
        ...(options.lostAfter !== undefined ? { lostAfter: options.lostAfter } : {}),
        env: options.env ?? {},
        publish: options.publish ?? [],
        expose: (options.expose ?? []).map((port) => (port.includes('/') ? port : `${port}/tcp`)),
        volumes: options.volume ?? [],
        shared: (options.shared ?? []).map(sharedVolumeOption),
        restart: options.restart,
        ...(options.user ? { user: options.user } : {}),
        ...(options.capAdd ? { capAdd: options.capAdd } : {}),
        ...(options.workdir ? { workdir: options.workdir } : {}),
        labels: options.label ?? {},
        ...(healthcheck ? { healthcheck } : {}),
        ...networksBody(options.network ?? []),
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.startupBoost !== undefined ? { startupBoost: wholeNumber('startup-boost')(options.startupBoost.replace(/s$/, '')) } : {}),
      };
      const progress = new Progress('deploying');
      const result = await followStream(cmd, (client, onEvent) => client.deploy(body as DeployBody, onEvent), (event) => showEvent(event, progress)).finally(() => progress.done());
      if (globals(cmd).json) return;
      if (result.note) console.log(`nothing deployed: ${result.note}`);
      else printWorkloads(withStates(result));
    }),
  );
}

/** A result's workloads with the states the core recorded for them, for the table. */
export function withStates(result: { workloads: Workload[]; states?: Record<string, string> }): Array<Workload & { state?: string }> {
  return result.workloads.map((w) => ({ ...w, ...(result.states?.[w.id] ? { state: result.states[w.id] } : {}) }));
}

type DeployResult = Extract<DeployEvent, { type: 'result'; ok: true }>;

/**
 * Sends a deploy or a job and follows its NDJSON stream: each event is shown (or printed as JSON
 * with --json) as it comes; a failed result becomes the command's error.
 */
export async function followStream(cmd: Command, start: Start<DeployEvent>, show: (event: DeployEvent) => void): Promise<DeployResult> {
  const result = await followToResult(cmd, start, show);
  // With its details, so that a capacity refusal prints each node's reason as a refused request does.
  if (!result.ok) throw new EruError(result.error.code, result.error.message, result.error.details !== undefined ? { details: result.error.details } : {});
  return result;
}

export function showEvent(event: DeployEvent, progress: Progress): void {
  switch (event.type) {
    case 'planned':
      for (const [node, reason] of Object.entries(event.leftOut ?? {})) progress.item(`left out ${node}: ${reason}`);
      progress.update(0, event.workloads.length);
      break;
    case 'image':
      progress.item(
        event.how === 'pulled' ? `pulled ${event.image} on ${event.node} from ${event.from}` : `copied ${event.image} to ${event.node} from ${event.from}${event.note ? ` (${event.note})` : ''}`,
      );
      break;
    case 'started':
      progress.item(`started ${event.id} on ${event.node} (cpuset ${event.cpuset})`);
      progress.update(event.done, event.total);
      break;
    case 'failed':
      progress.item(`failed  ${event.id} on ${event.node}: ${event.error}`);
      break;
    case 'rolledback':
      progress.item(`rolled back: removed ${event.removed.length} container(s)`);
      break;
    case 'removed':
      progress.item(`removed ${event.id} from ${event.node}`);
      break;
    case 'note':
    case 'canary':
      progress.item(event.message);
      break;
    case 'hook':
      progress.item(`${event.hook} hook of ${event.id}: ${event.ok ? 'ok' : `FAILED (exit ${event.exitCode}): ${event.output.trim().split('\n').slice(-1)[0] ?? ''}`}`);
      break;
    default:
      break;
  }
}

/** A workload's addresses as people read them: `net=10.20.0.5`, `host`, or `-` on the default bridge. */
export function addressesOf(w: Workload): string {
  if (w.hostNetwork) return 'host';
  return w.addresses.map((a) => `${a.network}=${a.address}`).join(',') || '-';
}


/** STATUS: the state the core knows (`exited 137` shows the code). */
function statusText(w: Workload & { state?: string; status?: { exitCode?: number } | null }): string {
  if (!w.state) return '-';
  return w.state === 'exited' && w.status?.exitCode !== undefined ? `exited ${w.status.exitCode}` : w.state;
}

/** The workloads table: KIND says whether a service's instance or a job (eru run) holds the pieces. */
export function printWorkloads(workloads: Array<Workload & { kind?: string; state?: string; status?: { exitCode?: number } | null }>): void {
  printTable([
    ['ID', 'NODE', 'KIND', 'STATUS', 'AGE', 'CPUSET', 'CPU', 'SHARES', 'QUOTA', 'MEMORY', 'ADDRESSES'],
    ...workloads.map((w) => [
      w.id,
      w.node,
      w.kind ?? 'service',
      statusText(w),
      age(w.createdAt),
      w.placement.cpuset ? w.cpuSettings.cpusetCpus : `${w.cpuSettings.cpusetCpus} (unbound)`,
      w.cpu,
      w.cpuSettings.cpuShares,
      w.cpuSettings.cpuQuota > 0 ? `${w.cpuSettings.cpuQuota}/100000` : '-',
      w.placement.memory > 0 ? formatMemory(w.placement.memory) : '-',
      addressesOf(w),
    ]),
  ]);
}
