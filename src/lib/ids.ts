import { randomBytes } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Random bytes drawn a few thousand at a time: a deploy of many instances names each without a system call. */
let pool = Buffer.alloc(0);
let used = 0;

function take(count: number): Buffer {
  if (used + count > pool.length) {
    pool = randomBytes(8 * 1024);
    used = 0;
  }
  used += count;
  return pool.subarray(used - count, used);
}

/** Six random characters, as in workload names `{app}_{entry}_{random}`. */
export function randomSuffix(): string {
  let suffix = '';
  for (const byte of take(6)) suffix += ID_ALPHABET[byte % ID_ALPHABET.length];
  return suffix;
}

/** `bytes` random bytes as hex (an event's id). */
export function randomHex(bytes: number): string {
  return take(bytes).toString('hex');
}
