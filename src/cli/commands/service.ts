import type { Command } from 'commander';
import type { DeployEvent } from '../../contract/events.js';
import type { ServiceView } from '../../contract/services.js';
import { EruError, ErrorCode, invalid } from '../../lib/errors.js';
import { formatMemory } from '../../lib/units.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals, seconds, wholeNumber } from '../options.js';
import { Progress } from '../progress.js';
import { followStream, printWorkloads, showEvent, withStates } from './deploy.js';
import type { Start } from '../follow.js';
import type { ReplaceBody } from 'eru-client';

/** A replace as the CLI asks for it: a version or an image, and how. */
type ReplaceRequest = Partial<ReplaceBody> & ({ version: string } | { image: string });

async function follow(cmd: Command, start: Start<DeployEvent>, label: string): Promise<void> {
  const progress = new Progress(label);
  const result = await followStream(cmd, start, (event: DeployEvent) => showEvent(event, progress)).finally(() => progress.done());
  if (!globals(cmd).json) printWorkloads(withStates(result));
}

/**
 * A replace with a canary an operator promotes: followed until the canary waits (the replace goes on
 * in the core, waiting for `eru rollout promote|abort`), or to its end if it fails before.
 */
async function followToCanary(cmd: Command, app: string, entry: string, body: ReplaceRequest & { canary: number }): Promise<void> {
  const progress = new Progress('replacing');
  const json = globals(cmd).json;
  const ended = await clientOf(cmd)
    .services.canary(app, entry, body, (event) => {
      if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
      else showEvent(event, progress);
    })
    .finally(() => progress.done());
  if (ended.type === 'result' && !ended.ok) throw new EruError(ended.error.code, ended.error.message);
}

/** `eru scale` and `eru replace`: a service's count and its version, changed while it serves. */
export function registerService(program: Command): void {
  program
    .command('scale')
    .description('scale an app\'s entrypoint in a pod to N instances: up with the spec the running ones have, down from the most crowded nodes (newest first)')
    .argument('<app>')
    .requiredOption('--entry <entry>', 'the entrypoint')
    .requiredOption('--count <n>', 'how many instances', wholeNumber('count'))
    .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
    .option('--drain <duration>', 'how long a removed instance is out of the endpoints before it stops', seconds('drain'), 0)
    .action(
      action(async (app: string, options: { entry: string; count: number; pod?: string; drain: number }, cmd: Command) => {
        if (options.count < 0) throw invalid(['count'], 'count must be 0 or more');
        const body = { count: options.count, drain: options.drain, ...(options.pod ? { pod: options.pod } : {}) };
        await follow(cmd, (client, onEvent) => client.services.scale(app, options.entry, body, onEvent), 'scaling');
      }),
    );

  program
    .command('replace')
    .description('rolling replace of an app\'s entrypoint to another version (or image): new instances turn healthy before old ones go; a failed batch rolls back')
    .argument('<app>')
    .requiredOption('--entry <entry>', 'the entrypoint')
    .option('--version <sha7>', 'the built version to move to (a service deployed by version)')
    .option('--image <image>', 'the image to move to (a service deployed with --image)')
    .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
    .option('--allow-untested', "move to a version whose app.yaml tests failed or have not passed")
    .option('--batch <n>', 'replace n at a time, each new one ahead of its old one (= --max-surge n --max-unavailable 0)', wholeNumber('batch'))
    .option('--max-surge <n>', 'new instances started ahead of the old ones (needs room; 0: in place)', wholeNumber('max-surge'))
    .option('--max-unavailable <n>', 'old instances that may be gone before their replacements are healthy', wholeNumber('max-unavailable'))
    .option('--min-healthy <duration>', 'without a health check: how long a new instance must keep running', seconds('min-healthy'))
    .option('--healthy-deadline <duration>', 'how long a new instance has to turn healthy', seconds('healthy-deadline'))
    .option('--drain <duration>', 'how long an old instance is out of the endpoints before it stops', seconds('drain'))
    .option('--no-rollback', 'on a failed batch, stop where it is instead of going back to the old version')
    .option('--canary <n>', 'stop once n new instances are healthy, until `eru rollout promote` (or `abort`); the command returns then', wholeNumber('canary'))
    .option('--canary-auto <duration>', 'with --canary: compare the new instances with the old for this long (restarts, stops, health, throttling), then promote or abort by itself', seconds('canary-auto'))
    .action(
      action(async (app: string, options: { entry: string; version?: string; image?: string; pod?: string; batch?: number; maxSurge?: number; maxUnavailable?: number; minHealthy?: number; healthyDeadline?: number; drain?: number; rollback: boolean; canary?: number; canaryAuto?: number; allowUntested?: boolean }, cmd: Command) => {
        if (options.batch !== undefined && (options.maxSurge !== undefined || options.maxUnavailable !== undefined)) throw invalid(['batch'], 'give --batch, or --max-surge and --max-unavailable, not both');
        if ((options.version === undefined) === (options.image === undefined)) throw invalid(['version'], 'give --version (a service deployed by version) or --image (one deployed from an image)');
        const body = {
          ...(options.version !== undefined ? { version: options.version } : { image: options.image! }),
          ...(options.pod ? { pod: options.pod } : {}),
          ...(options.allowUntested ? { allowUntested: true } : {}),
          ...(options.batch !== undefined ? { maxSurge: options.batch, maxUnavailable: 0 } : {}),
          ...(options.maxSurge !== undefined ? { maxSurge: options.maxSurge } : {}),
          ...(options.maxUnavailable !== undefined ? { maxUnavailable: options.maxUnavailable } : {}),
          ...(options.minHealthy !== undefined ? { minHealthy: options.minHealthy } : {}),
          ...(options.healthyDeadline !== undefined ? { healthyDeadline: options.healthyDeadline } : {}),
          ...(options.drain !== undefined ? { drain: options.drain } : {}),
          rollback: options.rollback,
          ...(options.canary !== undefined ? { canary: options.canary } : {}),
          ...(options.canaryAuto !== undefined ? { canaryAuto: options.canaryAuto } : {}),
        };
        if (options.canary !== undefined && options.canaryAuto === undefined) return followToCanary(cmd, app, options.entry, { ...body, canary: options.canary });
        await follow(cmd, (client, onEvent) => client.services.replace(app, options.entry, body, onEvent), 'replacing');
      }),
    );
}

/** `eru service ls|show`: each service's desired state (what the keeper holds it to) against what runs. */
export function registerServiceViews(program: Command): void {
  const service = program.command('service').description('services: what each should be (count, version or image, size, kept or not) and what runs');
  service
    .command('ls')
    .description('every service: desired count against instances')
    .action(
      action(async (_options: unknown, cmd: Command) => {
        const services = await clientOf(cmd).services.list();
        if (globals(cmd).json) return printJson(services);
        printTable([
          ['POD', 'APP', 'ENTRY', 'RUNS', 'DESIRED', 'INSTANCES', 'KEPT'],
          ...services.map((s) => [s.pod, s.app, s.entry, runsOf(s), s.count === undefined ? '-' : String(s.count), String(s.instances), s.keep ? `yes (lost after ${s.lostAfter}s)` : 'no']),
        ]);
      }),
    );
  service
    .command('show')
    .description('one service: desired against actual, instance by instance')
    .argument('<app>')
    .requiredOption('--entry <entry>', 'the entrypoint')
    .option('--pod <pod>', 'the pod (may be left out when it runs in one pod)')
    .action(
      action(async (app: string, options: { entry: string; pod?: string }, cmd: Command) => {
        const client = clientOf(cmd);
        const matching = (await client.services.list()).filter((s) => s.app === app && s.entry === options.entry && (!options.pod || s.pod === options.pod));
        if (matching.length === 0) throw new EruError(ErrorCode.NOT_FOUND, `no service ${app}/${options.entry}${options.pod ? ` in pod ${options.pod}` : ''}`);
        if (matching.length > 1) throw invalid(['pod'], `${app}/${options.entry} runs in pods ${matching.map((s) => s.pod).join(', ')}: give --pod`);
        const shown = matching[0]!;
        const instances = await client.workloads.list({ pod: shown.pod, app, entry: options.entry });
        if (globals(cmd).json) return printJson({ service: shown, instances });
        const byState = new Map<string, number>();
        for (const w of instances) byState.set(w.state, (byState.get(w.state) ?? 0) + 1);
        printTable([
          ['', 'DESIRED', 'ACTUAL'],
          ['count', shown.count === undefined ? '-' : String(shown.count), `${instances.length} (${[...byState].map(([state, n]) => `${n} ${state}`).join(', ') || 'none'})`],
          ['image', shown.spec.image, [...new Set(instances.map((w) => w.image))].join(', ') || '-'],
          ['cpu', String(shown.spec.cpu), [...new Set(instances.map((w) => String(w.cpu)))].join(', ') || '-'],
          ['memory', formatMemory(shown.spec.memory), [...new Set(instances.map((w) => formatMemory(w.memory)))].join(', ') || '-'],
          ['kept', shown.keep ? `yes: lost after ${shown.lostAfter}s` : 'no', shown.replaced.length > 0 ? `replaced while lost: ${shown.replaced.join(', ')}` : ''],
        ]);
        console.log('');
        printTable([['INSTANCE', 'NODE', 'STATE', 'CPUSET'], ...instances.map((w) => [w.id, w.node, w.state, w.cpuSettings.cpusetCpus || '-'])]);
      }),
    );
}

function runsOf(service: Pick<ServiceView, 'version' | 'spec'>): string {
  return service.version ? service.version.slice(0, 7) : service.spec.image;
}
