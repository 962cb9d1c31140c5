import type { ReplaceBody } from '../../contract/services.js';
import { conflict, invalid } from '../../lib/errors.js';
import type { Rollout, Runs } from '../../model/rollout.js';
import type { Service } from '../../model/service.js';
import type { CoreContext } from '../context.js';
import { absent, put } from '../repositories.js';

/** What a service runs now. */
export function runsOf(service: Pick<Service, 'version' | 'spec'>): Runs {
  return service.version ? { version: service.version } : { image: service.spec.image };
}

/** A replace begins: the service's next rollout, numbered after its last. */
export async function startRollout(context: CoreContext, from: Service, to: Runs): Promise<Rollout> {
  const { repos } = context;
  for (let attempt = 0; attempt < 5; attempt++) {
    const last = (await repos.rollouts.list(from.pod, from.app, from.entry)).at(-1)?.value.number ?? 0;
    const rollout: Rollout = { number: last + 1, pod: from.pod, app: from.app, entry: from.entry, from: runsOf(from), to, startedAt: new Date().toISOString(), outcome: 'running' };
    const key = repos.rollouts.key(from.pod, from.app, from.entry, rollout.number);
    if (await repos.commit([absent(key)], [put(key, rollout)])) return rollout;
  }
  throw conflict(`${from.app}/${from.entry}: its rollouts are being numbered by another core; try again`);
}

/** How it ended. */
export async function endRollout(context: CoreContext, rollout: Rollout, outcome: Rollout['outcome'], message?: string): Promise<void> {
  const { repos } = context;
  const ended: Rollout = { ...rollout, outcome, endedAt: new Date().toISOString(), ...(message ? { message } : {}) };
  await repos.commit([], [put(repos.rollouts.key(rollout.pod, rollout.app, rollout.entry, rollout.number), ended)]);
}

/** A replace undone by recovery: its rollout, still marked running, is marked rolled back. */
export async function endRunningRollouts(context: CoreContext, service: Pick<Rollout, 'pod' | 'app' | 'entry'>, message: string): Promise<void> {
  for (const { value: rollout } of await context.repos.rollouts.list(service.pod, service.app, service.entry)) {
    if (rollout.outcome === 'running') await endRollout(context, rollout, 'rolled back', message);
  }
}

/**
 * What `eru rollout undo` moves the service to: what ran before its last rollout that ended done,
 * or, with `to`, what rollout `to` moved it to.
 */
export function undoTarget(rollouts: readonly Rollout[], to?: number): Pick<ReplaceBody, 'version' | 'image'> {
  if (to !== undefined) {
    const chosen = rollouts.find((r) => r.number === to);
    if (!chosen) throw invalid(['to'], `no rollout ${to} (there are ${rollouts.length})`);
    return chosen.to;
  }
  const last = [...rollouts].reverse().find((r) => r.outcome === 'done');
  if (!last) throw conflict('no rollout of this service ended done: nothing to undo');
  return last.from;
}
