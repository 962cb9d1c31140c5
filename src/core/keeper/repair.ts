import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import { ErrorCode } from '../../lib/errors.js';
import type { Service } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import { trackActivity } from '../apps/activities.js';
import { failedResult, runInBackground } from '../background.js';
import type { CoreContext } from '../context.js';
import { placeAndWait, type DeployResult } from '../deploy/index.js';
import { instancesOf, scaleUpRequest } from '../scale/index.js';
import { tryLockService } from '../services/lock.js';
import { changeService } from '../services/record.js';
import { recordedStates } from '../workloads/held.js';
import { removeWorkload } from '../workloads/remove.js';
import type { KeeperPlan } from './assess.js';

/**
 * Carries out the keeper's plan for one service under its lock: new instances placed elsewhere (the
 * spec and node filters its instances have), then the exited ones and the surplus removed. The plan is
 * made (`decide`) once the lock is held, from fresh reads. Kept as a `keep` activity of the app, and
 * told on the bus as `service.kept`. Undefined when another change to the service holds the lock, or
 * when there is nothing to do after all (the keeper looks again next time).
 */
export async function repair(context: CoreContext, seen: Service, decide: () => Promise<{ service: Service; plan: KeeperPlan } | undefined>): Promise<DeployResult | undefined> {
  const unlock = await tryLockService(context, seen, 'the keeper restoring its count');
  if (!unlock) return undefined;
  try {
    const decided = await decide();
    if (!decided) return undefined;
    const { service, plan } = decided;
    const queue = runInBackground<DeployEvent>((emit) => carryOut(context, service, plan, emit), (error) => failedResult(error, ErrorCode.DEPLOY_FAILED));
    await trackActivity(context, { kind: 'keep', app: service.app, pod: service.pod, entry: service.entry }, queue);
    let last: DeployEvent | undefined;
    for await (const item of queue) last = item;
    const result = last?.type === 'result' ? last : failedResult(new Error('the keeper stopped without a result'), ErrorCode.DEPLOY_FAILED);
    context.publish(
      event('service.kept', {
        app: service.app,
        pod: service.pod,
        data: {
          entry: service.entry,
          count: service.count,
          lost: plan.lost.map((w) => w.id),
          exited: plan.exited.map((w) => w.id),
          surplus: plan.surplus.map((w) => w.id),
          added: result.ok ? result.workloads.length : 0,
          ok: result.ok,
          ...(result.ok ? {} : { error: result.error.message }),
        },
      }),
    );
    return result;
  } finally {
    await unlock();
  }
}

async function carryOut(context: CoreContext, service: Service, plan: KeeperPlan, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const name = `${service.app}/${service.entry} in pod ${service.pod}`;
  const why = [
    plan.lost.length > 0 ? `${plan.lost.length} lost with their node (${plan.lost.map((w) => `${w.id} on ${w.node}`).join(', ')})` : '',
    plan.exited.length > 0 ? `${plan.exited.length} exited (${plan.exited.map((w) => w.id).join(', ')})` : '',
    plan.surplus.length > 0 ? `${plan.surplus.length} over its count` : '',
  ].filter(Boolean);
  emit({ type: 'note', message: `keeping ${name} at ${service.count}: ${why.join('; ') || `${plan.add} missing`}` });
  const added: Workload[] = [];
  // Fixed addresses freed by a node declared gone go to replacements first, one instance each.
  const withFixed = service.pendingFixed.slice(0, plan.add);
  for (const fixed of withFixed) {
    const fixedAddresses = Object.fromEntries(Object.entries(fixed).map(([network, address]) => [network, [address]]));
    const placed = await placeAndWait(context, { ...scaleUpRequest(service, 1), fixedAddresses }, emit);
    if (!placed.ok) return placed;
    added.push(...placed.workloads);
    await changeService(context, service, (current) => ({ ...current, pendingFixed: current.pendingFixed.filter((f) => JSON.stringify(f) !== JSON.stringify(fixed)) }), { ifGone: 'skip' });
  }
  if (plan.add > withFixed.length) {
    const placed = await placeAndWait(context, scaleUpRequest(service, plan.add - withFixed.length), emit);
    if (!placed.ok) return placed;
    added.push(...placed.workloads);
  }
  if (plan.add > 0 && plan.lost.length > 0) await rememberReplaced(context, service, plan.lost.map((w) => w.id));
  for (const gone of [...plan.exited, ...plan.surplus]) {
    const current = await context.repos.workloads.get(gone.id);
    // Gone already, or stopped by an operator since the keeper looked: left be.
    if (!current || current.value.stoppedAt !== undefined) continue;
    await removeWorkload(context, async () => (await context.repos.workloads.get(gone.id)) ?? current, () => new Date(), { emit });
    emit({ type: 'removed', id: gone.id, node: gone.node });
  }
  await forgetRemoved(context, service);
  const workloads = await instancesOf(context, service);
  if (added.length > 0) emit({ type: 'note', message: `${added.length} new instance(s) of ${name}: ${added.map((w) => `${w.id} on ${w.node}`).join(', ')}` });
  return { type: 'result', ok: true, workloads, states: await recordedStates(context.repos, workloads) };
}

/** Lost instances now replaced: when their node returns they are the surplus that goes first. */
async function rememberReplaced(context: CoreContext, service: Service, ids: string[]): Promise<void> {
  await changeService(context, service, (current) => ({ ...current, replaced: [...new Set([...current.replaced, ...ids])] }), { ifGone: 'skip' });
}

/** Replaced instances that are gone for good (removed, or forgotten with a node declared gone) leave the list. */
async function forgetRemoved(context: CoreContext, service: Service): Promise<void> {
  const existing = new Set((await instancesOf(context, service)).map((w) => w.id));
  await changeService(context, service, (current) => ({ ...current, replaced: current.replaced.filter((id) => existing.has(id)) }), { ifGone: 'skip' });
}

