import { randomBytes } from 'node:crypto';
import { invalid } from '../lib/errors.js';
import { MemoryBus } from './memory.js';
import { RedisBus } from './redis.js';
import type { Bus, EruEvent } from './types.js';

export type { Bus, Channel, EruEvent, Publish, Subscription } from './types.js';

/** `memory` (one machine) or `redis://HOST:PORT`. */
export function openBus(url: string): Bus {
  if (url === 'memory') return new MemoryBus();
  if (/^rediss?:\/\/[\w.-]+(:\d+)?(\/\d+)?$/.test(url)) return new RedisBus(url);
  throw invalid(['bus'], `unknown bus "${url}" (memory or redis://HOST:PORT)`);
}

/** An event with its id and time filled in. */
export function event(type: EruEvent['type'], fields: Omit<EruEvent, 'id' | 'type' | 'time' | 'data'> & { data?: EruEvent['data'] } = {}): EruEvent {
  return { id: randomBytes(8).toString('hex'), type, time: new Date().toISOString(), data: {}, ...fields };
}
