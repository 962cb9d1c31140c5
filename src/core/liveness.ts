import { event } from '../bus/index.js';
import { notFound } from '../lib/errors.js';
import type { HeartbeatAnswer, HeartbeatBody } from '../contract/agents.js';
import { sameStatus, type NodeStatus, type WorkloadStatus } from '../model/status.js';
import type { Lease } from '../store/types.js';
import { applyDueQuotas } from './boost.js';
import type { CoreContext } from './context.js';
import { announceEndpoints } from './networks/endpoints.js';
import { absent, put, unchanged } from './repositories.js';
import { keptVolumes, settleRemovals } from './volumes/keep.js';

export const DEFAULT_NODE_TTL_SECONDS = 10;
const LEADER_TTL_SECONDS = 5;
const TICK_MS = 1000;

/**
 * Node liveness and workload status, from the agents: a heartbeat keeps a node's alive key under a
 * lease of the node TTL; status reports are stored and broadcast when they change. One core, elected
 * through the store, marks nodes down when their lease lapses (and their workloads not running).
 */
export class Liveness {
  private leaderLease: Lease | undefined;
  /** Each node's alive lease, kept alive by its heartbeats instead of a new lease every time. */
  private readonly nodeLeases = new Map<string, Lease>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly context: CoreContext,
    private readonly nodeTtlSeconds = DEFAULT_NODE_TTL_SECONDS,
  ) {}

  async heartbeat(node: string, body: HeartbeatBody): Promise<HeartbeatAnswer> {
    const { repos, publish } = this.context;
    const known = await repos.nodes.get(node);
    if (!known) {
      this.nodeLeases.delete(node);
      throw notFound('node', node);
    }
    await repos.alive.mark(node, await this.nodeLease(node), { at: new Date().toISOString(), ...body });
    await settleRemovals(repos, body.volumes);
    const shared = await keptVolumes(repos, node);
    const answer = { ttl: this.nodeTtlSeconds, resend: false, ...(shared ? { shared } : {}) };
    const status = await repos.nodeStatus.get(node);
    if (!status || !status.value.up) {
      const up: NodeStatus = { up: true, since: new Date().toISOString() };
      const key = repos.nodeStatus.key(node);
      const guard = status ? unchanged(key, status.revision) : absent(key);
      if (await repos.commit([guard], [put(key, up)])) publish(event('node.up', { pod: known.value.pod, node, data: {} }));
      // Marking the node down overwrote its workloads' statuses: the agent sends them all again.
      if (status) return { ...answer, resend: true };
    }
    return answer;
  }

  /** The node's lease, renewed; a new one when it lapsed (a late heartbeat) or was never granted by this core. */
  private async nodeLease(node: string): Promise<Lease> {
    const held = this.nodeLeases.get(node);
    if (held) {
      try {
        await held.keepAlive();
        return held;
      } catch {
        this.nodeLeases.delete(node);
      }
    }
    const lease = await this.context.repos.grantLease(this.nodeTtlSeconds);
    this.nodeLeases.set(node, lease);
    return lease;
  }

  /** Stores what changed and broadcasts it; statuses of workloads not on this node are refused. */
  async report(node: string, statuses: WorkloadStatus[]): Promise<{ changed: number; unknown: string[] }> {
    const unknown: string[] = [];
    const apps: string[] = [];
    for (const status of statuses) {
      const workload = await this.context.repos.workloads.get(status.id);
      if (!workload || workload.value.node !== node) {
        unknown.push(status.id);
        continue;
      }
      if (await this.record(workload.value, status)) apps.push(workload.value.app);
    }
    // The agent's round trip does not wait for the endpoint lists, nor do the status events already
    // published: reading the app's workloads blocks, so it starts once the events are out.
    if (apps.length > 0) setImmediate(() => void announceEndpoints(this.context, apps));
    return { changed: apps.length, unknown };
  }

  private async record(workload: { id: string; app: string; pod: string; node: string; entry: string }, status: WorkloadStatus): Promise<boolean> {
    const { repos, publish } = this.context;
    const current = await repos.statuses.get(workload.id);
    if (current && sameStatus(current.value, status)) return false;
    const key = repos.statuses.key(workload.id);
    if (!(await repos.commit([current ? unchanged(key, current.revision) : absent(key)], [put(key, status)]))) return false;
    publish(event('workload.status', { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id, data: { entry: workload.entry, ...status } }));
    return true;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.leaderLease?.revoke().catch(() => undefined);
  }

  /** Holds or seeks the leadership; as leader, marks down every up node whose alive key is gone. */
  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      if (!(await this.lead())) return;
      const { repos } = this.context;
      const alive = await repos.alive.list();
      for (const { name: node, value: status, revision } of await repos.nodeStatus.list()) {
        if (status.up && !alive.has(node)) await this.markDown(node, revision);
      }
      // The leader also ends startup boosts (core/boost.ts).
      await applyDueQuotas(this.context);
    } catch (error) {
      this.context.log.warn({ err: error }, 'node liveness check failed; trying again');
    } finally {
      this.ticking = false;
    }
  }

  private async lead(): Promise<boolean> {
    const { repos } = this.context;
    if (this.leaderLease) {
      try {
        await this.leaderLease.keepAlive();
        if ((await repos.leader.get()) === this.context.owner) return true;
      } catch {
        // lost it; try again below
      }
      this.leaderLease = undefined;
    }
    const lease = await repos.grantLease(LEADER_TTL_SECONDS);
    if (await repos.leader.claim(this.context.owner, lease)) {
      this.leaderLease = lease;
      this.context.log.info('this core now marks nodes down when their agents go quiet');
      return true;
    }
    await lease.revoke().catch(() => undefined);
    return false;
  }

  private async markDown(node: string, revision: number): Promise<void> {
    const { repos, publish } = this.context;
    const down: NodeStatus = { up: false, since: new Date().toISOString(), reason: `no heartbeat for ${this.nodeTtlSeconds} s` };
    if (!(await repos.commit([unchanged(repos.nodeStatus.key(node), revision)], [put(repos.nodeStatus.key(node), down)]))) return;
    const known = await repos.nodes.get(node);
    publish(event('node.down', { pod: known?.value.pod, node, data: { reason: down.reason } }));
    const apps: string[] = [];
    for (const { value: workload } of await repos.workloads.list()) {
      if (workload.node !== node) continue;
      if (await this.record(workload, { id: workload.id, running: false, healthy: false, reason: `node ${node} is down` })) apps.push(workload.app);
    }
    await announceEndpoints(this.context, apps);
  }
}
