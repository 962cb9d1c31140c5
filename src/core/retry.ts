import { EruError, ErrorCode } from '../lib/errors.js';

/**
 * Optimistic concurrency: `attempt` reads, decides and commits guarded by the revisions it read;
 * it returns undefined when another writer came first, and is run again on fresh reads.
 */
export async function optimistic<T>(what: string, attempt: () => Promise<T | undefined>, attempts = 20): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 ** i)));
  }
  throw new EruError(ErrorCode.CONFLICT, `${what}: too many concurrent changes, try again`);
}
