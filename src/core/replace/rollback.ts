import type { DeployEvent } from '../../contract/events.js';
import type { ReplaceState } from '../../model/service.js';
import type { CoreContext } from '../context.js';
import { placeAndWait } from '../deploy/index.js';
import { put } from '../repositories.js';
import { instancesOf, scaleUpRequest } from '../scale/index.js';
import { removeWorkload } from '../workloads/remove.js';

/**
 * Undoes a rolling replace: the new instances go, and the old version comes back to as many instances
 * as the service had; the service record says the old version again. Used when a batch fails, and by
 * recovery for a replace whose core died. Safe to repeat.
 */
export async function rollBackReplace(context: CoreContext, state: ReplaceState, emit: (event: DeployEvent) => void = () => undefined): Promise<void> {
  const { repos } = context;
  // The recorded new instances, and any the dying core started but had not recorded yet: whatever
  // instance of the service does not run the old image is new.
  const unrecorded = (await instancesOf(context, state.from)).filter((w) => w.image !== state.from.spec.image).map((w) => w.id);
  for (const id of new Set([...state.newIds, ...unrecorded])) {
    const workload = await repos.workloads.get(id);
    if (!workload) continue;
    await removeWorkload(context, async () => (await repos.workloads.get(id)) ?? workload, () => new Date());
    emit({ type: 'removed', id, node: workload.value.node });
  }
  const running = await instancesOf(context, state.from);
  const missing = state.oldIds.length - running.length;
  if (missing > 0) {
    const result = await placeAndWait(context, scaleUpRequest(state.from, missing), emit);
    if (!result.ok) throw new Error(`bringing back ${missing} instance(s) of the old version failed: ${result.error.message}`);
  } else {
    await repos.commit([], [put(repos.services.key(state.pod, state.app, state.entry), state.from)]);
  }
}
