import { event } from '../../bus/index.js';
import type { HeartbeatAnswer, HeartbeatBody } from '../../contract/agents.js';
import { notFound } from '../../lib/errors.js';
import { sameStatus, type NodeStatus, type WorkloadStatus } from '../../model/status.js';
import type { Lease } from '../../store/types.js';
import type { CoreContext } from '../context.js';
import { announceEndpoints, hasEndpoints } from '../networks/endpoints.js';
import { absent, put, unchanged } from '../repositories.js';
import { keptVolumes, settleRemovals } from '../volumes/keep.js';

export const DEFAULT_NODE_TTL_SECONDS = 10;

/**
 * The agents' gateway: what a node's agent says reaches the store here. A heartbeat keeps the node's
 * alive key under a lease of the node TTL (with what the agent measured) and is answered with what
 * the agent is to keep; a status report is stored and broadcast when it changed. Marking nodes down
 * when they go quiet is the leader's (core/leader/).
 */
/** How long the list of cores' URLs handed to agents is reused. */
const CORES_FRESH_MS = 5000;

export class AgentGateway {
  private cores: { at: number; urls: string[] } = { at: 0, urls: [] };
  /** Each node's alive lease, kept alive by its heartbeats instead of a new lease every time. */
  private readonly nodeLeases = new Map<string, Lease>();

  constructor(
    private readonly context: CoreContext,
    readonly nodeTtlSeconds = DEFAULT_NODE_TTL_SECONDS,
  ) {}

  async heartbeat(node: string, body: HeartbeatBody): Promise<HeartbeatAnswer> {
    const { repos, publish } = this.context;
    const known = await repos.nodes.get(node);
    if (!known) {
      this.nodeLeases.delete(node);
      throw notFound('node', node);
    }
    await repos.alive.mark(node, await this.nodeLease(node), { at: new Date().toISOString(), ...body });
    await settleRemovals(repos, node, body.volumes);
    const shared = await keptVolumes(repos, node);
    const binds = (await repos.bindChecks.list(node)).map((c) => c.value);
    const answer = { ttl: this.nodeTtlSeconds, resend: false, binds, cores: await this.coreUrls(), ...(shared ? { shared } : {}) };
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

  /** The live cores' URLs, read at most every few seconds (every agent's heartbeat carries them). */
  private async coreUrls(): Promise<string[]> {
    if (Date.now() - this.cores.at > CORES_FRESH_MS) {
      const urls = (await this.context.repos.cores.list()).flatMap((c) => (c.value.url ? [c.value.url] : []));
      this.cores = { at: Date.now(), urls };
    }
    return this.cores.urls;
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
    let changed = 0;
    for (const status of statuses) {
      const workload = await this.context.repos.workloads.get(status.id);
      if (!workload || workload.value.node !== node) {
        unknown.push(status.id);
        continue;
      }
      if (!(await recordStatus(this.context, workload.value, status))) continue;
      changed++;
      if (hasEndpoints(workload.value)) apps.push(workload.value.app);
    }
    // The agent's round trip does not wait for the endpoint lists, nor do the status events already
    // published: reading the app's workloads blocks, so it starts once the events are out.
    if (apps.length > 0) setImmediate(() => void announceEndpoints(this.context, apps));
    return { changed, unknown };
  }
}

/** A workload's status stored (when it changed, guarded by its revision) and broadcast; true when it changed. */
export async function recordStatus(context: CoreContext, workload: { id: string; app: string; pod: string; node: string; entry: string }, status: WorkloadStatus): Promise<boolean> {
  const { repos, publish } = context;
  const current = await repos.statuses.get(workload.id);
  if (current && sameStatus(current.value, status)) return false;
  const key = repos.statuses.key(workload.id);
  if (!(await repos.commit([current ? unchanged(key, current.revision) : absent(key)], [put(key, status)]))) return false;
  publish(event('workload.status', { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id, data: { entry: workload.entry, ...status } }));
  return true;
}
