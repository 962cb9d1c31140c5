import type { ReplaceBody } from '../../contract/services.js';
import { conflict, invalid } from '../../lib/errors.js';
import type { Canary, Rollout, Runs } from '../../model/rollout.js';
import type { Service } from '../../model/service.js';
import type { CoreContext } from '../context.js';
import { absent, put } from '../repositories.js';

/** What a service runs now. */
export function runsOf(service: Pick<Service, 'version' | 'spec'>): Runs {
  return service.version ? { version: service.version } : { image: service.spec.image };
}

/** A replace begins: the service's next rollout, numbered after its last. */
export async function startRollout(context: CoreContext, from: Service, to: Runs, canary?: Pick<Canary, 'count' | 'autoSeconds'>): Promise<Rollout> {
  const { repos } = context;
  for (let attempt = 0; attempt < 5; attempt++) {
    const last = (await repos.rollouts.list(from.pod, from.app, from.entry)).at(-1)?.value.number ?? 0;
    const rollout: Rollout = { number: last + 1, pod: from.pod, app: from.app, entry: from.entry, from: runsOf(from), to, startedAt: new Date().toISOString(), outcome: 'running', ...(canary ? { canary: { ...canary, phase: 'starting' as const } } : {}) };
    const key = repos.rollouts.key(from.pod, from.app, from.entry, rollout.number);
    if (await repos.commit([absent(key)], [put(key, rollout)])) return rollout;
  }
  throw conflict(`${from.app}/${from.entry}: its rollouts are being numbered by another core; try again`);
}

/** How it ended (whatever pause or canary state it had is kept, for `eru rollout show`). */
export async function endRollout(context: CoreContext, rollout: Rollout, outcome: Rollout['outcome'], message?: string): Promise<void> {
  await changeRollout(context, rollout, (current) => ({ ...current, outcome, endedAt: new Date().toISOString(), ...(message ? { message } : {}) }));
}

/**
 * A change to a rollout's record, guarded by its revision: the core doing the replace and the ones
 * answering `eru rollout pause|resume|promote|abort` write the same record. `change` may throw to refuse.
 */
export async function changeRollout(context: CoreContext, rollout: Pick<Rollout, 'pod' | 'app' | 'entry' | 'number'>, change: (current: Rollout) => Rollout): Promise<Rollout> {
  const { repos } = context;
  const changed = await repos.change(
    `changing rollout ${rollout.number} of ${rollout.app}/${rollout.entry}`,
    repos.rollouts.key(rollout.pod, rollout.app, rollout.entry, rollout.number),
    () => repos.rollouts.get(rollout.pod, rollout.app, rollout.entry, rollout.number),
    change,
    () => {
      throw conflict(`rollout ${rollout.number} of ${rollout.app}/${rollout.entry} is gone`);
    },
  );
  return changed!;
}

export type RolloutAction = 'pause' | 'resume' | 'promote' | 'abort';

/**
 * What `eru rollout pause|resume|promote|abort` asks of a service's running rollout. The core doing the
 * replace reads it between batches (steer.ts): pause lets the batch under way finish, abort rolls back
 * what was replaced, promote lets a waiting canary go on.
 */
export function steer(rollout: Rollout, action: RolloutAction, who: string): Rollout {
  const name = `rollout ${rollout.number} of ${rollout.app}/${rollout.entry}`;
  if (rollout.outcome !== 'running') throw conflict(`${name} has ended (${rollout.outcome}): nothing to ${action}`);
  if (rollout.abort !== undefined) throw conflict(`${name} is being aborted already`);
  switch (action) {
    case 'pause':
      if (rollout.paused) throw conflict(`${name} is paused already`);
      return { ...rollout, paused: true };
    case 'resume':
      if (!rollout.paused) throw conflict(`${name} is not paused`);
      return { ...rollout, paused: false };
    case 'promote':
      if (!rollout.canary) throw conflict(`${name} is not a canary: nothing to promote`);
      if (rollout.canary.phase === 'promoted') throw conflict(`${name} was promoted already`);
      return { ...rollout, canary: { ...rollout.canary, phase: 'promoted', verdict: `promoted by ${who}` } };
    case 'abort':
      return { ...rollout, abort: `aborted by ${who}` };
  }
}

/** The service's rollout under way, if any. */
export async function runningRollout(context: CoreContext, service: Pick<Rollout, 'pod' | 'app' | 'entry'>): Promise<Rollout | undefined> {
  return (await context.repos.rollouts.list(service.pod, service.app, service.entry)).map((r) => r.value).find((r) => r.outcome === 'running');
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
