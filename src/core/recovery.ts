import { event } from '../bus/index.js';
import { ErrorCode } from '../lib/errors.js';
import type { Intent } from '../model/intent.js';
import type { Lease } from '../store/types.js';
import type { CoreContext } from './context.js';
import { rollBack } from './deploy/rollback.js';
import { checkLedgers } from './cpu/ledger-check.js';
import { rollBackReplace } from './replace/rollback.js';
import { endRunningRollouts } from './replace/rollouts.js';
import { del, put, unchanged, type Repositories } from './repositories.js';

/** A deploy or job undone here ends, for whoever follows it (a client whose stream was cut), with its result. */
function announceUndone({ publish }: CoreContext, intent: Intent, why: string): void {
  const first = intent.workloads[0];
  if (!first || (intent.kind !== 'deploy' && intent.kind !== 'job')) return;
  const message = `${why} (${intent.workloads.length} instance(s) removed, their resources free)`;
  publish(event('deploy.result', { app: first.app, pod: first.pod, data: { deploy: intent.id, ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message } } }));
}

/** How long a dead core's intents wait before another core undoes them. */
export const CORE_LEASE_TTL_SECONDS = 5;
const KEEPALIVE_MS = 1500;
const SWEEP_MS = 2000;
/** An intent of this core's own not in hand for this long was given up on (it is taken in hand within milliseconds of being written). */
const ABANDONED_AFTER_MS = 30_000;

/**
 * Keeps this core's liveness key alive, and undoes the intents of cores that died: any core may
 * claim an orphaned intent (a transaction on its revision makes sure only one does) and roll it back.
 */
export class Recovery {
  private lease: Lease | undefined;
  private timers: NodeJS.Timeout[] = [];
  private sweeping = false;
  /** Intents being undone that failed at least once (each is logged once). */
  private readonly tried = new Set<string>();

  private readonly repos: Repositories;
  readonly owner: string;

  constructor(private readonly context: CoreContext) {
    this.repos = context.repos;
    this.owner = context.owner;
  }

  async start(): Promise<void> {
    await this.announce();
    this.timers.push(setInterval(() => void this.keepAlive(), KEEPALIVE_MS));
    this.timers.push(setInterval(() => void this.sweep(), SWEEP_MS));
    for (const timer of this.timers) timer.unref();
    await this.sweep();
  }

  private async announce(): Promise<void> {
    this.lease = await this.repos.grantLease(CORE_LEASE_TTL_SECONDS);
    await this.repos.cores.announce(this.owner, this.lease, { startedAt: new Date().toISOString(), pid: process.pid, ...(this.context.advertise ? { url: this.context.advertise } : {}) });
  }

  private async keepAlive(): Promise<void> {
    try {
      await this.lease?.keepAlive();
    } catch {
      // The lease lapsed (a long pause): announce again. Intents this core owns may have been undone.
      await this.announce().catch((error: unknown) => this.context.log.warn({ err: error }, 'cannot renew the core lease'));
    }
  }

  /** Rolls back every intent whose owner is gone, then checks the ledgers if it undid any. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    let undone = 0;
    try {
      // Deploys and removals first: a replace rolled back after them finds their resources free.
      const intents = (await this.repos.intents.list()).sort((a, b) => Number(a.value.kind === 'replace') - Number(b.value.kind === 'replace'));
      for (const { value: intent, revision } of intents) {
        if (intent.owner === this.owner ? !this.abandoned(intent) : await this.repos.cores.alive(intent.owner)) continue;
        const key = this.repos.intents.key(intent.id);
        const claimed = { ...intent, owner: this.owner };
        if (!(await this.repos.commit([unchanged(key, revision)], [put(key, claimed)]))) continue;
        const own = intent.owner === this.owner;
        const why = own ? `${this.owner} gave it up half-way and undid it later` : `the core doing it (${intent.owner}) died; ${this.owner} rolled it back`;
        // Said once per intent: one that cannot be undone yet is tried again at every sweep.
        const first = !this.tried.has(intent.id);
        this.tried.add(intent.id);
        if (first) this.context.log.warn({ intent: intent.id, kind: intent.kind, ...(own ? {} : { deadCore: intent.owner }) }, own ? 'undoing an intent this core gave up on half-way' : 'undoing the intent of a core that died');
        try {
          await this.context.inHand.holding(intent.id, async () => {
            if (claimed.replace) {
              // A replace: its own deploys and removals have intents of their own, undone apart; here the version goes back.
              await rollBackReplace(this.context, claimed.replace);
              await this.repos.commit([], [del(key)]);
              await endRunningRollouts(this.context, claimed.replace, `rolled back${own ? '' : ' by another core'}: ${why}`);
            } else {
              await rollBack(this.context, claimed);
              announceUndone(this.context, claimed, why);
            }
          });
          undone++;
          this.tried.delete(intent.id);
        } catch (error) {
          // Left for the next sweep (a Docker daemon that does not answer yet); the others go on.
          if (first) this.context.log.warn({ err: error, intent: intent.id }, 'cannot undo the intent yet; trying again at every sweep');
        }
      }
      // What was undone must leave the ledgers exact; say so if it did not.
      if (undone > 0) await checkLedgers(this.context);
    } catch (error) {
      this.context.log.error({ err: error }, 'recovery sweep failed; trying again');
    } finally {
      this.sweeping = false;
    }
    return undone;
  }

  /**
   * One of this core's intents that nothing in this process carries out any more: let go of while
   * still in the store (at the next sweep), or never taken in hand (given time to be).
   */
  private abandoned(intent: Intent): boolean {
    const { inHand } = this.context;
    return !inHand.has(intent.id) && (inHand.wasLetGo(intent.id) || Date.now() - Date.parse(intent.createdAt) > ABANDONED_AFTER_MS);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.lease?.revoke().catch(() => undefined);
  }
}
