import type { ApplyStep, DesiredService, ServiceView } from '../../contract/services.js';
import { serviceKey } from '../../model/service.js';

/** An instance as apply compares it: what it holds now (a realloc may have changed one). */
export interface Instance {
  id: string;
  cpu: number;
  memory: number;
}

/** One operation that moves a service towards its desired state. */
export type Step =
  | { kind: 'create'; desired: DesiredService }
  | { kind: 'replace'; desired: DesiredService; from: string }
  | { kind: 'resize'; desired: DesiredService; instances: string[]; cpu: [number, number]; memory: [number, number] }
  | { kind: 'scale'; desired: DesiredService; from: number };

export function describe(step: Step): string {
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

/** A step as the API shows it. */
export function stepView(step: Step): ApplyStep {
  return { kind: step.kind, app: step.desired.app, entry: step.desired.entry, pod: step.desired.pod, change: describe(step) };
}

/** The command a desired service runs: its words, or its `cmd` through `sh -c`. */
export function commandOf(desired: DesiredService): string[] {
  return desired.command ?? (desired.cmd !== undefined ? ['sh', '-c', desired.cmd] : []);
}

/**
 * What to do, service by service, in order (pure): create, or replace, resize, scale. Sizes are
 * compared on the instances themselves, so one resized by `eru realloc` is drift too, not only the
 * service record.
 */
export function plan(desired: readonly DesiredService[], services: readonly ServiceView[], instances: ReadonlyMap<string, Instance[]>): Step[] {
  const steps: Step[] = [];
  for (const want of desired) {
    const have = services.find((s) => s.pod === want.pod && s.app === want.app && s.entry === want.entry);
    const running = instances.get(serviceKey(want)) ?? [];
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
