import { EruError, ErrorCode } from '../lib/errors.js';

/**
 * Optimistic concurrency: `attempt` reads, decides and commits guarded by the revisions it read;
 * it returns undefined when another writer came first, and is run again on fresh reads.
 */
export async function optimistic<T>(what: string, attempt: () => Promise<T | undefined>, attempts = 20): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
    // Jittered: writers that met on one key do not all come back at the same moment to meet again.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** (i + 1))));
  }
  throw new EruError(ErrorCode.CONFLICT, `${what}: too many concurrent changes, try again`);
}

/**
 * One record changed where it stands: read with its revision, changed, written only if no one wrote it
 * meanwhile (else again, on a fresh read). `read` answering null means it is gone: `gone()` says what
 * then (throw, or a value to return). A change that alters nothing writes nothing.
 */
export async function changeRecord<T>(
  what: string,
  commit: (revision: number, next: T) => Promise<boolean>,
  read: () => Promise<{ value: T; revision: number } | null>,
  change: (current: T) => T,
  gone: () => T | null,
): Promise<T | null> {
  return optimistic(what, async () => {
    const current = await read();
    if (!current) return { value: gone() };
    const next = change(current.value);
    if (JSON.stringify(next) === JSON.stringify(current.value)) return { value: next };
    return (await commit(current.revision, next)) ? { value: next } : undefined;
  }).then((result) => result.value);
}
