import type { NodeUsage } from '../../model/status.js';
import type { Lease } from '../../store/types.js';
import type { Repositories } from '../repositories.js';

/**
 * One core's share of the agents' heartbeats (2,500 a second from 5,000 nodes). A heartbeat is kept in
 * this core's memory; the node's alive key is written only when the agent reported something a
 * deploy waits on (its Docker's state, its MooseFS mounts, volume and bind-check results) or its
 * measured use is due again — every heartbeat in a small cluster, at most USAGE_WRITES_PER_SECOND
 * of this core's nodes a second in a large one. Every key this core writes is bound to one lease of
 * its own, kept alive here; a node heard from no more within the node TTL has its key deleted (unless
 * its agent moved to another core, which wrote it since), and the leader marks it down. A core that
 * dies takes its keys with its lease, once its agents have had the TTL to move to another.
 */
// 5,000 nodes over three cores: each node's use is written about every 17 s, 300 store writes a second in all.
const USAGE_WRITES_PER_SECOND = 100;
const SWEEP_MS = 1000;

interface Heard {
  lastBeat: number;
  /** What this core last wrote: its revision (the delete of a quiet node guards on it), when, under which lease, and what a deploy waits on. */
  revision: number;
  writtenAt: number;
  lease: string;
  material: string;
}

export class NodeLiveness {
  private readonly heard = new Map<string, Heard>();
  private lease: Promise<Lease> | undefined;
  private keptAliveAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly repos: Repositories,
    private readonly ttlSeconds: number,
  ) {}

  /** The node is alive, with what its agent measured and reported. */
  async beat(node: string, usage: NodeUsage): Promise<void> {
    this.timer ??= setInterval(() => void this.sweep(), SWEEP_MS).unref();
    const now = Date.now();
    const material = JSON.stringify([usage.engineError, usage.moosefs, usage.volumes, usage.binds]);
    const lease = await this.heldLease();
    const known = this.heard.get(node);
    const due = !known || known.lease !== lease.id || known.material !== material || now - known.writtenAt >= (this.heard.size / USAGE_WRITES_PER_SECOND) * 1000;
    if (!due) {
      known.lastBeat = now;
      return;
    }
    const revision = await this.repos.alive.mark(node, lease, usage);
    this.heard.set(node, { lastBeat: now, revision, writtenAt: now, lease: lease.id, material });
  }

  private heldLease(): Promise<Lease> {
    this.lease ??= this.repos.grantLease(this.ttlSeconds).then(
      (lease) => {
        this.keptAliveAt = Date.now();
        return lease;
      },
      (error: unknown) => {
        this.lease = undefined;
        throw error;
      },
    );
    return this.lease;
  }

  /** Keeps the lease alive (a lost one is granted again at the next heartbeat, which rewrites its node) and clears quiet nodes. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = Date.now();
      if (this.lease && now - this.keptAliveAt >= (this.ttlSeconds * 1000) / 3) {
        try {
          await (await this.lease).keepAlive();
          this.keptAliveAt = now;
        } catch {
          this.lease = undefined;
        }
      }
      for (const [node, heard] of this.heard) {
        if (now - heard.lastBeat < this.ttlSeconds * 1000) continue;
        this.heard.delete(node);
        await this.repos.alive.clear(node, heard.revision).catch(() => undefined);
      }
    } finally {
      this.sweeping = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
