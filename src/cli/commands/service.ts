import type { Command } from 'commander';
import type { DeployEvent } from '../../contract/events.js';
import { invalid } from '../../lib/errors.js';
import { action } from '../output.js';
import { globals, wholeNumber } from '../options.js';
import { Progress } from '../progress.js';
import { followStream, printWorkloads, showEvent, withStates } from './deploy.js';

/** `30`, `30s`, `5m`, `1h` → seconds. */
export function seconds(flag: string): (value: string) => number {
  return (value) => {
    const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
    if (!match) throw invalid([flag], `"${value}" is not a duration (e.g. 30s, 5m)`);
    return Number(match[1]) * { s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 's' | 'm' | 'h'];
  };
}

async function follow(cmd: Command, method: string, path: string, body: unknown, label: string): Promise<void> {
  const progress = new Progress(label);
  const result = await followStream(cmd, path, body, (event: DeployEvent) => showEvent(event, progress), method).finally(() => progress.done());
  if (!globals(cmd).json) printWorkloads(withStates(result));
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
        await follow(cmd, 'PUT', `/v1/apps/${encodeURIComponent(app)}/entries/${encodeURIComponent(options.entry)}/scale`, body, 'scaling');
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
    .option('--batch <n>', 'replace n at a time, each new one ahead of its old one (= --max-surge n --max-unavailable 0)', wholeNumber('batch'))
    .option('--max-surge <n>', 'new instances started ahead of the old ones (needs room; 0: in place)', wholeNumber('max-surge'))
    .option('--max-unavailable <n>', 'old instances that may be gone before their replacements are healthy', wholeNumber('max-unavailable'))
    .option('--min-healthy <duration>', 'without a health check: how long a new instance must keep running', seconds('min-healthy'))
    .option('--healthy-deadline <duration>', 'how long a new instance has to turn healthy', seconds('healthy-deadline'))
    .option('--drain <duration>', 'how long an old instance is out of the endpoints before it stops', seconds('drain'))
    .option('--no-rollback', 'on a failed batch, stop where it is instead of going back to the old version')
    .action(
      action(async (app: string, options: { entry: string; version?: string; image?: string; pod?: string; batch?: number; maxSurge?: number; maxUnavailable?: number; minHealthy?: number; healthyDeadline?: number; drain?: number; rollback: boolean }, cmd: Command) => {
        if (options.batch !== undefined && (options.maxSurge !== undefined || options.maxUnavailable !== undefined)) throw invalid(['batch'], 'give --batch, or --max-surge and --max-unavailable, not both');
        if ((options.version === undefined) === (options.image === undefined)) throw invalid(['version'], 'give --version (a service deployed by version) or --image (one deployed from an image)');
        const body = {
          ...(options.version !== undefined ? { version: options.version } : { image: options.image }),
          ...(options.pod ? { pod: options.pod } : {}),
          ...(options.batch !== undefined ? { maxSurge: options.batch, maxUnavailable: 0 } : {}),
          ...(options.maxSurge !== undefined ? { maxSurge: options.maxSurge } : {}),
          ...(options.maxUnavailable !== undefined ? { maxUnavailable: options.maxUnavailable } : {}),
          ...(options.minHealthy !== undefined ? { minHealthy: options.minHealthy } : {}),
          ...(options.healthyDeadline !== undefined ? { healthyDeadline: options.healthyDeadline } : {}),
          ...(options.drain !== undefined ? { drain: options.drain } : {}),
          rollback: options.rollback,
        };
        await follow(cmd, 'POST', `/v1/apps/${encodeURIComponent(app)}/entries/${encodeURIComponent(options.entry)}/replace`, body, 'replacing');
      }),
    );
}
