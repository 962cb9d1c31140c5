import { conflict } from '../../lib/errors.js';
import type { Service, ServiceLock } from '../../model/service.js';
import type { CoreContext } from '../context.js';
import { absent, del, put, unchanged } from '../repositories.js';

type ServiceKey = Pick<Service, 'pod' | 'app' | 'entry'>;

/** Gives the lock back. */
export type Unlock = () => Promise<void>;

/**
 * One change at a time per service: a scale, a replace, the keeper's repair and a drain's move each
 * take the service's lock in the store first, so the keeper never races an operator (nor two operators
 * each other). A lock whose core died (its liveness key is gone) is taken over. Undefined when it is held.
 */
export async function tryLockService(context: CoreContext, service: ServiceKey, what: string): Promise<Unlock | undefined> {
  const { repos, owner } = context;
  const key = repos.serviceLocks.key(service.pod, service.app, service.entry);
  const lock: ServiceLock = { owner, what, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const held = await repos.serviceLocks.get(service.pod, service.app, service.entry);
    if (held && (await repos.cores.alive(held.value.owner))) return undefined;
    const at = await repos.commitAt([held ? unchanged(key, held.revision) : absent(key)], [put(key, lock)]);
    if (at !== null) {
      return async () => {
        await repos.commit([unchanged(key, at)], [del(key)]);
      };
    }
  }
  return undefined;
}

/** How long an operator's change waits for one under way (a removal, the keeper's repair: seconds) before it is refused. */
export const LOCK_WAIT_MS = 10_000;

/** The same, waiting up to `waitMs` for a change under way to end; then refused with who holds it. */
export async function lockService(context: CoreContext, service: ServiceKey, what: string, waitMs = LOCK_WAIT_MS): Promise<Unlock> {
  const giveUpAt = Date.now() + waitMs;
  for (let pause = 50; ; pause = Math.min(pause * 2, 500)) {
    const unlock = await tryLockService(context, service, what);
    if (unlock) return unlock;
    if (Date.now() + pause > giveUpAt) break;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  const held = await context.repos.serviceLocks.get(service.pod, service.app, service.entry);
  throw conflict(`${service.app}/${service.entry} in pod ${service.pod} is being changed already${held ? `: ${held.value.what} since ${held.value.since}` : ''}; try again when it is done`);
}
