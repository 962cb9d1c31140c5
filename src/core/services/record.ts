import { conflict } from '../../lib/errors.js';
import type { Service } from '../../model/service.js';
import type { CoreContext } from '../context.js';

/**
 * A change to a service's record (its count, what the keeper replaced, the fixed addresses waiting),
 * read and written under its revision and tried again when another core wrote first. A service gone
 * meanwhile is an error, or with `ifGone: 'skip'` (the keeper's bookkeeping) nothing to do.
 */
export async function changeService(context: CoreContext, service: Pick<Service, 'pod' | 'app' | 'entry'>, change: (current: Service) => Service, options: { ifGone?: 'fail' | 'skip' } = {}): Promise<void> {
  const { repos } = context;
  await repos.change(
    'changing a service',
    repos.services.key(service.pod, service.app, service.entry),
    () => repos.services.get(service.pod, service.app, service.entry),
    change,
    () => {
      if (options.ifGone === 'skip') return null;
      throw conflict(`${service.app}/${service.entry} in pod ${service.pod} went away`);
    },
  );
}

/** The count changed by `delta` from what it is when written (not when read): `eru rm` of an instance, and its undoing. */
export function addToCount(context: CoreContext, service: Pick<Service, 'pod' | 'app' | 'entry'>, delta: number): Promise<void> {
  return changeService(context, service, (current) => ({ ...current, count: Math.max(0, (current.count ?? 0) + delta), updatedAt: new Date().toISOString() }));
}

/** The service's desired count (scale). */
export function setCount(context: CoreContext, service: Pick<Service, 'pod' | 'app' | 'entry'>, count: number): Promise<void> {
  return changeService(context, service, (current) => ({ ...current, count, updatedAt: new Date().toISOString() }));
}
