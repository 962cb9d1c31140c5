import { event } from '../../bus/index.js';
import type { DeployEvent } from '../../contract/events.js';
import { engineMessage } from '../../engine/engines.js';
import { conflict } from '../../lib/errors.js';
import { randomSuffix } from '../../lib/ids.js';
import type { Intent } from '../../model/intent.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { rollBack } from '../deploy/rollback.js';
import { combine, NOTHING } from '../reservations/index.js';
import { giveCores, readLedgers } from '../reservations/ledger.js';
import { reapplySharedPool } from '../cpu/shared-pool.js';
import { holdsWholeCore } from '../../engine/cpu.js';
import { runHooks } from './hooks.js';
import { announceEndpointsOf } from '../networks/endpoints.js';
import { del, put, unchanged, type Versioned } from '../repositories.js';
import { optimistic } from '../retry.js';

/**
 * Removes a workload: its record and its reservation go in one transaction together with a removal
 * intent; then the container goes, then the intent with the workload's addresses. An address stays
 * held until its container is gone, so no other workload can be given it while Docker still has it.
 * A core dying in between leaves the intent, and recovery removes the container and frees the addresses.
 */
export interface RemoveOptions {
  /** Seconds it stays out of its endpoints (still running) before it stops, so clients move off it first. */
  drainSeconds?: number;
  /** Sees the before_stop hooks' results. */
  emit?: (event: DeployEvent) => void;
}

export async function removeWorkload(context: CoreContext, find: () => Promise<Versioned<Workload>>, now: () => Date, options: RemoveOptions = {}): Promise<Workload> {
  const { repos, owner, publish } = context;
  const target = await find();
  if (options.drainSeconds) await drain(context, target, now, options.drainSeconds);
  await beforeStop(context, target.value, options.emit);
  const removal = await optimistic('removing a workload', async () => {
    const workload = await find();
    const intent: Intent = { id: `remove-${workload.value.id}-${randomSuffix()}`, kind: 'remove', owner, createdAt: now().toISOString(), workloads: [workload.value] };
    const workloadKey = repos.workloads.key(workload.value.id);
    const pod = await repos.pods.get(workload.value.pod);
    // Its cores and memory go back now; its addresses and ports once its container is gone (rollBack).
    const cores = pod ? giveCores(repos, await readLedgers(repos, [workload.value.node]), pod.value.sharebase, [workload.value]) : NOTHING;
    const part = combine(cores, {
      compares: [unchanged(workloadKey, workload.revision)],
      ops: [del(workloadKey), del(repos.statuses.key(workload.value.id)), put(repos.intents.key(intent.id), intent)],
    });
    return (await repos.commit(part.compares, part.ops)) ? intent : undefined;
  });
  const workload = removal.workloads[0]!;
  const nodes = await repos.nodesByName();
  await context.inHand.holding(removal.id, () => rollBack(context, removal, nodes));
  const sharebase = (await repos.pods.get(workload.pod))?.value.sharebase;
  if (sharebase !== undefined && holdsWholeCore(workload.placement, sharebase)) await reapplySharedPool(context, nodes, new Set([workload.node]));
  publish(event('workload.removed', { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id, data: { entry: workload.entry } }));
  await announceEndpointsOf(context, [workload]);
  return workload;
}

/** Takes a workload out of its app's endpoints, then waits while clients that read them move off it. */
async function drain(context: CoreContext, target: Versioned<Workload>, now: () => Date, seconds: number): Promise<void> {
  const { repos } = context;
  const key = repos.workloads.key(target.value.id);
  const marked = await repos.commit([unchanged(key, target.revision)], [put(key, { ...target.value, drainingSince: now().toISOString() })]);
  if (!marked) return;
  await announceEndpointsOf(context, [target.value]);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}

/** The before_stop hooks, in the running container; with `force`, a failure stops the removal. */
async function beforeStop(context: CoreContext, workload: Workload, emit?: (event: DeployEvent) => void): Promise<void> {
  if (!workload.hooks?.beforeStop.length) return;
  const node = (await context.repos.nodes.get(workload.node))?.value;
  if (!node) return;
  const failure = await runHooks(context.engines.get(node), workload, 'before_stop', emit).catch((error: unknown) => `before_stop hook of ${workload.id} could not run: ${engineMessage(error)}`);
  if (!failure) return;
  if (workload.hooks.force) throw conflict(`${failure}; ${workload.id} was not removed (its hooks are forced)`);
  context.log.warn({ workload: workload.id, failure }, 'a before_stop hook failed; removing anyway');
}
