import { randomBytes } from 'node:crypto';
import { invalid } from '../lib/errors.js';
import { MemoryBus } from './memory.js';
import { RedisBus } from './redis.js';
import type { EruEvent, EventType } from '../contract/events.js';
import type { Bus } from './types.js';

export type { Bus, Channel, Publish, Subscription } from './types.js';

/** `memory` (one machine) or `redis://HOST:PORT`. */
export function openBus(url: string): Bus {
  if (url === 'memory') return new MemoryBus();
  if (/^rediss?:\/\/[\w.-]+(:\d+)?(\/\d+)?$/.test(url)) return new RedisBus(url);
  throw invalid(['bus'], `unknown bus "${url}" (memory or redis://HOST:PORT)`);
}

/** An event with its id and time filled in. */
export function event(type: EventType, fields: Omit<EruEvent, 'id' | 'type' | 'time' | 'data'> & { data?: EruEvent['data'] } = {}): EruEvent {
  return { id: randomBytes(8).toString('hex'), type, time: new Date().toISOString(), data: {}, ...fields };
}
