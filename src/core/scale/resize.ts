import type { ResizeBody } from '../../contract/workloads.js';
import { notFound } from '../../lib/errors.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { put, unchanged } from '../repositories.js';
import { optimistic } from '../retry.js';
import { reallocWorkload } from '../workloads/realloc.js';
import { instancesOf, serviceOf } from './index.js';

/**
 * Resizes a whole service in place: every instance is reallocated (no restart), and the service
 * record says the new size, so later scale-ups and replaces use it. Stops at the first instance that
 * does not fit; those done stay done and the record is not changed.
 */
export async function resizeService(context: CoreContext, app: string, entry: string, pod: string | undefined, body: ResizeBody): Promise<Workload[]> {
  const service = await serviceOf(context, app, entry, pod);
  const resized: Workload[] = [];
  for (const instance of await instancesOf(context, service)) {
    const find = async () => {
      const current = await context.repos.workloads.get(instance.id);
      if (!current) throw notFound('workload', instance.id);
      return current;
    };
    resized.push(await reallocWorkload(context, find, body));
  }
  const { repos } = context;
  await optimistic('recording the new size of a service', async () => {
    const current = await repos.services.get(service.pod, app, entry);
    if (!current) return true;
    const size = { ...(body.cpu !== undefined ? { cpu: body.cpu } : {}), ...(body.memory !== undefined ? { memory: body.memory } : {}), ...(body.bind !== undefined ? { bind: body.bind } : {}) };
    const next = { ...current.value, request: { ...current.value.request, ...size }, spec: { ...current.value.spec, ...size }, updatedAt: new Date().toISOString() };
    const key = repos.services.key(service.pod, app, entry);
    return (await repos.commit([unchanged(key, current.revision)], [put(key, next)])) ? true : undefined;
  });
  return resized;
}
