import { randomBytes } from 'node:crypto';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Six random characters, as in workload names `{app}_{entry}_{random}`. */
export function randomSuffix(): string {
  return [...randomBytes(6)].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}
