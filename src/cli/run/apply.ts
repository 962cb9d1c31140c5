import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { EruClient } from '../../client/client.js';
import type { DeployEvent } from '../../contract/events.js';
import type { ServiceView } from '../../contract/services.js';
import { EruError, ErrorCode, invalid } from '../../lib/errors.js';
import { MemorySizeSchema, parseWith } from '../../lib/validate.js';
import { DnsLabelSchema } from '../../model/names.js';
import { EntrypointNameSchema } from '../../model/workload.js';

/**
 * One service as a desired-state file says it should be. The command is `command` (a list of words)
 * or, as in app.yaml, `cmd` (a string the image's `sh -c` runs).
 */
const DesiredSchema = z
  .object({
    app: DnsLabelSchema,
    pod: DnsLabelSchema,
    entry: EntrypointNameSchema,
    version: z.string().regex(/^[0-9a-f]{7,40}$/, '7 to 40 hex digits of the commit sha').optional(),
    image: z.string().optional(),
    command: z.array(z.string()).optional(),
    cmd: z.string().min(1).optional(),
    count: z.number().int().min(0).max(10000),
    cpu: z.number().min(0).max(4096),
    memory: MemorySizeSchema.default(0),
    envSet: z.string().optional(),
    networks: z.array(DnsLabelSchema).default([]),
  })
  .strict()
  .refine((s) => (s.version === undefined) !== (s.image === undefined), { message: 'give version (an app version) or image, one of them', path: ['version'] })
  .refine((s) => s.command === undefined || s.cmd === undefined, { message: 'give command (a list of words) or cmd (a string run by sh -c), not both', path: ['cmd'] })
  .transform(({ cmd, command, ...rest }) => ({ ...rest, command: command ?? (cmd !== undefined ? ['sh', '-c', cmd] : []) }));
const FileSchema = z.object({ services: z.array(DesiredSchema).min(1) }).strict();
type Desired = z.output<typeof DesiredSchema>;

/** An instance as apply compares it: what it holds now (a realloc may have changed one). */
interface Instance {
  id: string;
  cpu: number;
  memory: number;
}

/** One operation that moves a service towards its desired state. */
type Step =
  | { kind: 'create'; desired: Desired }
  | { kind: 'replace'; desired: Desired; from: string }
  | { kind: 'resize'; desired: Desired; instances: string[]; cpu: [number, number]; memory: [number, number] }
  | { kind: 'scale'; desired: Desired; from: number };

function describe(step: Step): string {
  const { app, entry, pod, count } = step.desired;
  const name = `${app}/${entry} in ${pod}`;
  switch (step.kind) {
    case 'create':
      return `create ${name}: ${count} × ${step.desired.cpu} CPU${step.desired.version ? ` at ${step.desired.version}` : ` of ${step.desired.image}`}`;
    case 'replace':
      return `replace ${name}: ${step.from} → ${step.desired.version ?? step.desired.image}`;
    case 'resize':
      return `resize ${step.instances.length} instance(s) of ${name}: cpu ${step.cpu[0]} → ${step.cpu[1]}, memory ${step.memory[0]} → ${step.memory[1]}`;
    case 'scale':
      return `scale ${name}: ${step.from} → ${count}`;
  }
}

/**
 * What to do, service by service, in order: create, or replace, resize, scale. Sizes are compared on
 * the instances themselves, so one resized by `eru realloc` is drift too, not only the service record.
 */
function plan(desired: Desired[], services: ServiceView[], instances: Map<string, Instance[]>): Step[] {
  const steps: Step[] = [];
  for (const want of desired) {
    const have = services.find((s) => s.pod === want.pod && s.app === want.app && s.entry === want.entry);
    const running = instances.get(`${want.pod}/${want.app}/${want.entry}`) ?? [];
    if (!have || running.length === 0) {
      if (want.count > 0) steps.push({ kind: 'create', desired: want });
      continue;
    }
    const from = have.version ? have.version.slice(0, 7) : have.spec.image;
    if (want.version !== undefined ? !have.version?.startsWith(want.version) : have.version !== undefined || have.spec.image !== want.image) {
      steps.push({ kind: 'replace', desired: want, from });
    }
    const off = running.filter((i) => i.cpu !== want.cpu || i.memory !== want.memory);
    if (off.length > 0 || have.spec.cpu !== want.cpu || have.spec.memory !== want.memory) {
      steps.push({ kind: 'resize', desired: want, instances: off.map((i) => i.id), cpu: [off[0]?.cpu ?? have.spec.cpu, want.cpu], memory: [off[0]?.memory ?? have.spec.memory, want.memory] });
    }
    if (running.length !== want.count) steps.push({ kind: 'scale', desired: want, from: running.length });
  }
  return steps;
}

async function carryOut(client: EruClient, step: Step, say: (line: string) => void): Promise<void> {
  const { app, entry, pod } = step.desired;
  const show = (event: DeployEvent): void => {
    if (event.type === 'started') say(`  started ${event.id} on ${event.node}`);
    else if (event.type === 'removed') say(`  removed ${event.id}`);
    else if (event.type === 'note') say(`  ${event.message}`);
  };
  const check = (result: Extract<DeployEvent, { type: 'result' }>): void => {
    if (!result.ok) throw new EruError(result.error.code, result.error.message);
  };
  const path = `/v1/apps/${encodeURIComponent(app)}/entries/${encodeURIComponent(entry)}`;
  switch (step.kind) {
    case 'create': {
      const d = step.desired;
      check(await client.deploy({ pod, app, entry, count: d.count, cpu: d.cpu, memory: d.memory, command: d.command, networks: d.networks.map((name) => ({ name, addresses: [] })), ...(d.version ? { version: d.version } : { image: d.image! }), ...(d.envSet ? { envSet: d.envSet } : {}) }, show));
      return;
    }
    case 'replace': {
      const to = step.desired.version !== undefined ? { version: step.desired.version } : { image: step.desired.image };
      check(await client.follow<DeployEvent>('POST', `${path}/replace`, { pod, ...to }, show));
      return;
    }
    case 'resize':
      await client.request('POST', `${path}/resize`, { pod, cpu: step.desired.cpu, memory: step.desired.memory });
      return;
    case 'scale':
      check(await client.follow<DeployEvent>('PUT', `${path}/scale`, { pod, count: step.desired.count }, show));
      return;
  }
}

/** `eru apply FILE`, loaded on demand: the desired state compared with the services, then converged once. */
export async function runApply(client: EruClient, file: string, options: { dryRun: boolean; json: boolean }): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw invalid(['file'], `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new EruError(ErrorCode.INVALID_ARGUMENT, `${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const desired = parseWith(FileSchema, data).services;
  const services = await client.services.list();
  const workloads = await client.workloads.list({ kind: 'service' });
  const instances = new Map<string, Instance[]>();
  for (const w of workloads) {
    const key = `${w.pod}/${w.app}/${w.entry}`;
    instances.set(key, [...(instances.get(key) ?? []), { id: w.id, cpu: w.cpu, memory: w.placement.memory }]);
  }
  const steps = plan(desired, services, instances);
  const view = (s: Step): Record<string, string> => ({ kind: s.kind, app: s.desired.app, entry: s.desired.entry, pod: s.desired.pod, change: describe(s) });
  if (!options.json) {
    if (steps.length === 0) console.log('nothing to do: every service is as the file says');
    else for (const step of steps) console.log(`${options.dryRun ? 'would ' : ''}${describe(step)}`);
  }
  if (options.dryRun) {
    if (options.json) process.stdout.write(`${JSON.stringify({ dryRun: true, steps: steps.map(view) })}\n`);
    return;
  }
  // Step by step; the first that fails stops the rest, and says what was done and what was not.
  for (const [i, step] of steps.entries()) {
    try {
      await carryOut(client, step, (line) => (options.json ? undefined : console.log(line)));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const undone = steps.slice(i + 1);
      if (options.json) process.stdout.write(`${JSON.stringify({ dryRun: false, done: steps.slice(0, i).map(view), failed: { ...view(step), error: message }, undone: undone.map(view) })}\n`);
      const code = error instanceof EruError ? error.code : ErrorCode.INTERNAL;
      throw new EruError(code, `apply stopped at "${describe(step)}": ${message}; ${i} of ${steps.length} step(s) done${undone.length > 0 ? `, not done: ${undone.map(describe).join('; ')}` : ''}`);
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify({ dryRun: false, done: steps.map(view), undone: [] })}\n`);
}
