import type { CoreView } from '../../contract/cores.js';
import type { CoreContext } from '../context.js';

/** How long the store has to answer before `/healthz` says this core cannot work. */
const STORE_ANSWER_MS = 2000;


/**
 * The cores sharing this store: each announces itself with its lease (recovery.ts), so the list is
 * the live ones; clients given several URLs learn the others from it. `health` is what `/healthz`
 * says: a core whose store does not answer can do nothing, and says so with a 503.
 */
export class Cores {
  constructor(private readonly context: CoreContext) {}

  async list(): Promise<CoreView[]> {
    const { repos, owner } = this.context;
    const leader = await repos.leader.get();
    return (await repos.cores.list()).map(({ name, value }) => ({ id: name, ...(value.url ? { url: value.url } : {}), startedAt: value.startedAt, leader: name === leader, self: name === owner }));
  }

  async health(): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await Promise.race([
        this.context.repos.leader.get(),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${STORE_ANSWER_MS / 1000} s`)), STORE_ANSWER_MS).unref()),
      ]);
      return { ok: true };
    } catch (error) {
      return { ok: false, reason: `the store does not answer: ${(error as Error).message}` };
    }
  }
}
