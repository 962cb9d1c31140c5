import type { DeployEvent, DrainEvent } from '../../contract/events.js';
import type { Service } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { placeAndWait } from '../deploy/index.js';
import { waitHealthy } from '../replace/health.js';
import { scaleUpRequest } from '../scale/index.js';
import { removeWorkload } from '../workloads/remove.js';

/** Without a health check, how long a replacement must keep running before its old instance goes. */
const MIN_HEALTHY_SECONDS = 2;

/**
 * One instance off a draining node, the way a replace with max-unavailable 0 moves it: a new instance
 * with the service's spec placed elsewhere (the draining node takes nothing new), healthy first; then
 * the old one leaves the endpoints for `drainSeconds` and goes. The service's count never changes.
 * Returns why not, or null once moved.
 */
export async function moveInstance(
  context: CoreContext,
  service: Service,
  old: Workload,
  options: { drainSeconds: number; deadline: number },
  emit: (event: DrainEvent) => void,
): Promise<string | null> {
  // Placement's own result stays here; its progress goes out with the drain's.
  const progress = (event: DeployEvent): void => {
    if (event.type !== 'result') emit(event);
  };
  const placed = await placeAndWait(context, scaleUpRequest(service, 1), progress).catch((error: unknown) => error as Error);
  if (placed instanceof Error) return placed.message;
  if (!placed.ok) return placed.error.message;
  const [replacement] = placed.workloads;
  if (!replacement) return 'nothing was placed';
  const nodes = await context.repos.nodesByName();
  const deadlineSeconds = Math.max(1, Math.round((options.deadline - Date.now()) / 1000));
  const unhealthy = await waitHealthy((w) => context.engines.get(nodes.get(w.node)!), [replacement], { minHealthySeconds: MIN_HEALTHY_SECONDS, deadlineSeconds });
  if (unhealthy) {
    // The old instance keeps serving; the failed replacement goes.
    await removeWorkload(context, async () => (await context.repos.workloads.get(replacement.id)) ?? { value: replacement, revision: 0 }, () => new Date());
    return `its replacement did not turn healthy: ${unhealthy}`;
  }
  const current = await context.repos.workloads.get(old.id);
  if (current) await removeWorkload(context, async () => (await context.repos.workloads.get(old.id)) ?? current, () => new Date(), { drainSeconds: options.drainSeconds, emit: progress });
  emit({ type: 'moved', id: old.id, to: replacement.id, node: replacement.node });
  return null;
}
