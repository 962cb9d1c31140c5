import type { DeployEvent } from '../../contract/events.js';
import type { ScaleBody } from '../../contract/services.js';
import { ErrorCode, conflict, invalid } from '../../lib/errors.js';
import type { Service } from '../../model/service.js';
import type { Workload } from '../../model/workload.js';
import { failedResult, runInBackground, type EventQueue } from '../background.js';
import type { CoreContext } from '../context.js';
import { placeAndWait, type DeployResult } from '../deploy/index.js';
import { lockService } from '../services/lock.js';
import { setCount } from '../services/record.js';
import type { PlacementRequest } from '../deploy/reserve.js';
import type { Versioned } from '../repositories.js';
import { recordedStates } from '../workloads/held.js';
import { removeWorkload } from '../workloads/remove.js';
import { chooseVictims } from './victims.js';

/**
 * Scaling a service (an app's entrypoint in a pod) to `count` instances. Up: the difference is
 * deployed with the spec the running instances have (the service record of their last deploy). Down:
 * the difference goes, most crowded node first and there the newest, each drained out of the
 * endpoints and its before_stop hooks run first. Progress streams like a deploy's.
 */
export async function scale(context: CoreContext, app: string, entry: string, body: ScaleBody): Promise<EventQueue<DeployEvent>> {
  const service = await serviceOf(context, app, entry, body.pod);
  const { count } = body;
  const unlock = await lockService(context, service, `scaling to ${count}`);
  let instances: Workload[];
  try {
    instances = await instancesOf(context, service);
    // The count is the service's from now on: the keeper holds it there (and leaves it alone while this runs).
    await setCount(context, service, count);
  } catch (error) {
    await unlock();
    throw error;
  }
  return runInBackground(
    (emit) => scaleTo(context, service, instances, body, emit).finally(unlock),
    (error) => failedResult(error, ErrorCode.DEPLOY_FAILED),
  );
}

async function scaleTo(context: CoreContext, service: Service, instances: Workload[], body: ScaleBody, emit: (event: DeployEvent) => void): Promise<DeployResult> {
  const { count } = body;
  if (count > instances.length) {
    // A scale up that cannot be placed leaves the count as it was, or the keeper would try for ever.
    const restore = (): Promise<void> => setCount(context, service, service.count ?? instances.length);
    const result = await placeAndWait(context, scaleUpRequest(service, count - instances.length, count), emit).catch(async (error: unknown) => {
      await restore();
      throw error;
    });
    if (!result.ok) {
      await restore();
      return result;
    }
  } else if (count < instances.length) {
    for (const victim of chooseVictims(instances, instances.length - count)) {
      const removed = await removeWorkload(context, () => found(context, victim.id), () => new Date(), { drainSeconds: body.drain, emit });
      emit({ type: 'removed', id: removed.id, node: removed.node });
    }
  }
  const workloads = await instancesOf(context, service);
  return { type: 'result', ok: true, workloads, states: await recordedStates(context.repos, workloads) };
}

/** The service to scale: in the pod given, or the only pod where the app/entrypoint was deployed. */
export async function serviceOf(context: CoreContext, app: string, entry: string, pod?: string): Promise<Service> {
  const services = (await context.repos.services.list()).map((s) => s.value).filter((s) => s.app === app && s.entry === entry && (pod === undefined || s.pod === pod));
  if (services.length === 0) throw conflict(`${app}/${entry} has not been deployed${pod ? ` in pod ${pod}` : ''}: deploy it first (eru deploy), then scale or replace it`);
  if (services.length > 1) throw invalid(['pod'], `${app}/${entry} runs in pods ${services.map((s) => s.pod).join(', ')}: name one`);
  return services[0]!;
}

export async function instancesOf(context: CoreContext, service: Pick<Service, 'pod' | 'app' | 'entry'>): Promise<Workload[]> {
  return (await context.repos.workloads.list()).map((w) => w.value).filter((w) => w.pod === service.pod && w.app === service.app && w.entry === service.entry);
}


/**
 * New instances with the spec the running ones have, spread by AUTO within the first deploy's node
 * filters; `desired` is the service's count once they are placed (its count as it stands unless told).
 */
export function scaleUpRequest(service: Service, count: number, desired = service.count): PlacementRequest {
  const filters = service.request as { nodes?: string[]; nodeLabels?: Record<string, string> };
  return {
    ...service.spec,
    count,
    strategy: 'AUTO',
    limit: 0,
    nodes: filters.nodes ?? [],
    nodeLabels: filters.nodeLabels ?? {},
    service: { request: service.request, ...(service.version ? { version: service.version } : {}), ...(desired !== undefined ? { desired } : {}) },
  };
}

async function found(context: CoreContext, id: string): Promise<Versioned<Workload>> {
  const workload = await context.repos.workloads.get(id);
  if (!workload) throw conflict(`${id} went away during the scale`);
  return workload;
}
