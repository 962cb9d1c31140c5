import { event } from '../../bus/index.js';
import { HEALTH_PENDING } from '../../contract/states.js';
import type { WorkloadStatus } from '../../model/status.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { del, idsOf, put, unchanged } from '../repositories.js';
import { ServiceSchema, type Service } from '../../model/service.js';
import { specOf } from '../services/spec.js';
import type { Reservation, ServiceOrigin } from './reserve.js';
import type { RolloutOutcome } from './rollout.js';
import { announceEndpointsOf } from '../networks/endpoints.js';
import { reapplySharedPool } from '../cpu/shared-pool.js';
import { holdsWholeCore } from '../../engine/cpu.js';

/**
 * Step 5 of a deploy, "commit": the workloads are recorded, with their first status, and the intent
 * cleared, in one transaction guarded by the intent's revision — if another core took the intent
 * over (this one was thought dead) and rolled it back, nothing is recorded. Then the news goes out
 * and unbound workloads on the touched nodes follow the new shared pool.
 * Returns the recorded workloads, or null when the deploy was taken over.
 */
export async function commit(context: CoreContext, reservation: Reservation, outcome: Pick<RolloutOutcome, 'containers' | 'quotaOn'>): Promise<Workload[] | null> {
  const { repos, publish } = context;
  const { intent, nodes, service } = reservation;
  const at = new Date().toISOString();
  const workloads = intent.workloads.map((w) => ({ ...w, containerId: outcome.containers.get(w.id), ...(outcome.quotaOn.has(w.id) ? { quotaSince: at } : {}) }));
  const first = workloads[0]!;
  // What a scale or a replace of this service starts from, and what the keeper holds it to.
  const record: Service | undefined = service && (await serviceRecord(context, first, service, workloads.length, at));
  const statuses = new Map<string, WorkloadStatus>(workloads.map((w) => [w.id, firstStatus(w)]));
  const recorded = await repos.commit(
    [unchanged(repos.intents.key(intent.id), reservation.revision)],
    [
      ...workloads.map((w) => put(repos.workloads.key(w.id), w)),
      ...[...statuses.values()].map((s) => put(repos.statuses.key(s.id), s)),
      // Started without its quota (startup boost): the leader puts it on later (core/boost.ts).
      ...workloads.filter((w) => w.cpuSettings.cpuQuota > 0 && w.quotaSince === undefined).map((w) => put(repos.boosts.key(w.id), { node: w.node, since: at })),
      del(repos.intents.key(intent.id)),
      ...(record ? [put(repos.services.key(record.pod, record.app, record.entry), record)] : []),
    ],
  );
  if (!recorded) return null;
  for (const w of workloads) {
    publish(event('workload.created', { app: w.app, pod: w.pod, node: w.node, workload: w.id, data: { entry: w.entry, cpuset: w.cpuSettings.cpusetCpus, container: w.containerId } }));
    publish(event('workload.status', { app: w.app, pod: w.pod, node: w.node, workload: w.id, data: { entry: w.entry, ...statuses.get(w.id)! } }));
  }
  await reapplySharedPool(context, nodes, new Set(workloads.filter((w) => holdsWholeCore(w.placement, reservation.pod.sharebase)).map((w) => w.node)));
  await announceEndpointsOf(context, workloads);
  return workloads;
}

/** Started just now: running, and healthy unless it has checks to pass first. The agent reports from here on. */
export function firstStatus(workload: Pick<Workload, 'id' | 'healthcheck'>): WorkloadStatus {
  return { id: workload.id, running: true, healthy: workload.healthcheck === undefined, ...(workload.healthcheck ? { reason: HEALTH_PENDING } : {}) };
}

/** The service's record after this deploy: its request and spec, and its count — as told, or what it had plus these. */
async function serviceRecord(context: CoreContext, first: Workload, origin: ServiceOrigin, added: number, at: string): Promise<Service> {
  const { repos } = context;
  const previous = (await repos.services.get(first.pod, first.app, first.entry))?.value;
  const had = previous?.count ?? (await repos.workloads.listStarting(idsOf(first.app, first.entry))).filter((w) => w.value.pod === first.pod).length;
  const keeping = KeepingSchema.parse(origin.request);
  return {
    pod: first.pod,
    app: first.app,
    entry: first.entry,
    request: origin.request,
    spec: specOf(first),
    ...(origin.version ? { version: origin.version } : {}),
    count: origin.desired ?? had + added,
    keep: keeping.keep,
    lostAfter: keeping.lostAfter,
    replaced: previous?.replaced ?? [],
    pendingFixed: previous?.pendingFixed ?? [],
    updatedAt: at,
  };
}

/** What the deploy request says about keeping the service (older requests say nothing: the defaults). */
const KeepingSchema = ServiceSchema.pick({ keep: true, lostAfter: true });
