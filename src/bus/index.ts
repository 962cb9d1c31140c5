import { randomHex } from '../lib/ids.js';
import type { Credentials } from '../lib/credentials.js';
import { invalid } from '../lib/errors.js';
import { MemoryBus } from './memory.js';
import { RedisBus } from './redis.js';
import type { EruEvent, EventType } from '../contract/events.js';
import type { Bus } from './types.js';

export type { Bus, Channel, Publish, Subscription } from './types.js';

/**
 * `memory` (one machine), `redis://HOST:PORT`, `redis-cluster://HOST:PORT,HOST:PORT,…` (a Redis
 * Cluster: some of its nodes), or `rediss://…` and `rediss-cluster://…` over TLS; a user and password
 * for Redis ACLs.
 */
export function openBus(url: string, credentials: Credentials = {}): Bus {
  if (url === 'memory') return new MemoryBus();
  const redis = /^(rediss?):\/\/[\w.-]+(:\d+)?(\/\d+)?$/.exec(url) ?? /^(rediss?)-cluster:\/\/[\w.-]+:\d+(,[\w.-]+:\d+)*$/.exec(url);
  if (redis) {
    if (redis[1] === 'redis' && (credentials.ca || credentials.cert)) throw invalid(['bus'], `certificates are for rediss:// (TLS); "${url}" is plain`);
    if (Boolean(credentials.cert) !== Boolean(credentials.key)) throw invalid(['bus'], 'a client certificate needs its key, and a key its certificate');
    return new RedisBus(url, credentials);
  }
  throw invalid(['bus'], `unknown bus "${url}" (memory, redis://HOST:PORT, redis-cluster://HOST:PORT,HOST:PORT,… or their rediss:// forms)`);
}

/** An event with its id and time filled in. */
export function event(type: EventType, fields: Omit<EruEvent, 'id' | 'type' | 'time' | 'data'> & { data?: EruEvent['data'] } = {}): EruEvent {
  return { id: randomHex(8), type, time: new Date().toISOString(), data: {}, ...fields };
}
