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
function announceUndone({ publish, owner }: CoreContext, intent: Intent, deadCore: string): void {
  const first = intent.workloads[0];
  if (!first || (intent.kind !== 'deploy' && intent.kind !== 'job')) return;
  const message = `the core doing it (${deadCore}) died; ${owner} rolled it back (${intent.workloads.length} instance(s) removed, their resources free)`;
  publish(event('deploy.result', { app: first.app, pod: first.pod, data: { deploy: intent.id, ok: false, error: { code: ErrorCode.DEPLOY_FAILED, message } } }));
}

/** How long a dead core's intents wait before another core undoes them. */
export const CORE_LEASE_TTL_SECONDS = 5;
const KEEPALIVE_MS = 1500;
const SWEEP_MS = 2000;

/**
 * Keeps this core's liveness key alive, and undoes the intents of cores that died: any core may
 * claim an orphaned intent (a transaction on its revision makes sure only one does) and roll it back.
 */
export class Recovery {
  private lease: Lease | undefined;
  private timers: NodeJS.Timeout[] = [];
  private sweeping = false;

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
        if (intent.owner === this.owner || (await this.repos.cores.alive(intent.owner))) continue;
        const key = this.repos.intents.key(intent.id);
        const claimed = { ...intent, owner: this.owner };
        if (!(await this.repos.commit([unchanged(key, revision)], [put(key, claimed)]))) continue;
        this.context.log.warn({ intent: intent.id, kind: intent.kind, deadCore: intent.owner }, 'undoing the intent of a core that died');
        if (claimed.replace) {
          // A replace: its own deploys and removals have intents of their own, undone apart; here the version goes back.
          await rollBackReplace(this.context, claimed.replace);
          await this.repos.commit([], [del(key)]);
          await endRunningRollouts(this.context, claimed.replace, `rolled back by another core: the core doing it (${intent.owner}) died`);
        } else {
          await rollBack(this.context, claimed);
          announceUndone(this.context, claimed, intent.owner);
        }
        undone++;
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

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.lease?.revoke().catch(() => undefined);
  }
}
