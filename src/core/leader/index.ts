import type { Lease } from '../../store/types.js';
import type { CoreContext } from '../context.js';
import { applyDueQuotas } from '../cpu/boost.js';
import type { Checks } from '../check/index.js';
import { pruneEventLog } from '../events/prune.js';
import type { BusRelay } from '../events/relay.js';
import { Keeper } from '../keeper/index.js';
import { markQuietNodesDown } from './node-down.js';

const LEADER_TTL_SECONDS = 5;
const TICK_MS = 1000;
const PRUNE_EVERY_MS = 60_000;

/**
 * The leader: one core, elected through the store (a key bound to its lease), does what must be done
 * once for the cluster, every second: marks down the nodes whose agents went quiet (node-down.ts),
 * ends startup boosts (core/cpu/boost.ts) and has the keeper hold every kept service at its count
 * (core/keeper/) and relays the event log to the bus (core/events/); once a minute it checks the store
 * against the hosts (core/check/) and prunes the event log. Any core takes over within the lease TTL
 * when it dies.
 */
export class Leader {
  private lease: Lease | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly keeper: Keeper;
  private lastPrune = 0;

  constructor(
    private readonly context: CoreContext,
    private readonly nodeTtlSeconds: number,
    private readonly checks: Checks,
    private readonly events: { relay: BusRelay; retentionMs: number },
  ) {
    this.keeper = new Keeper(context);
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.events.relay.stop();
    await this.lease?.revoke().catch(() => undefined);
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (!(await this.lead())) {
        await this.events.relay.stop();
        return;
      }
      await this.events.relay.run();
      await markQuietNodesDown(this.context, this.nodeTtlSeconds);
      await applyDueQuotas(this.context);
      this.keeper.poke();
      this.checks.poke();
      if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
        this.lastPrune = Date.now();
        const dropped = await pruneEventLog(this.context.repos, this.events.retentionMs);
        if (dropped > 0) this.context.log.info({ dropped }, 'pruned the event log');
      }
    } catch (error) {
      this.context.log.warn({ err: error }, "the leader's tick failed; trying again");
    } finally {
      this.ticking = false;
    }
  }

  /** Holds or seeks the leadership. */
  private async lead(): Promise<boolean> {
    const { repos } = this.context;
    if (this.lease) {
      try {
        await this.lease.keepAlive();
        if ((await repos.leader.get()) === this.context.owner) return true;
      } catch {
        // lost it; try again below
      }
      this.lease = undefined;
    }
    const lease = await repos.grantLease(LEADER_TTL_SECONDS);
    if (await repos.leader.claim(this.context.owner, lease)) {
      this.lease = lease;
      this.context.log.info('this core is the leader: it marks nodes down when their agents go quiet, and ends startup boosts');
      return true;
    }
    await lease.revoke().catch(() => undefined);
    return false;
  }
}
