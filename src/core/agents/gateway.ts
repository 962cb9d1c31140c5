import { event } from '../../bus/index.js';
import type { HeartbeatAnswer, HeartbeatBody } from '../../contract/agents.js';
import { notFound } from '../../lib/errors.js';
import { sameStatus, type NodeStatus, type WorkloadStatus } from '../../model/status.js';
import type { CoreContext } from '../context.js';
import { announceEndpoints, hasEndpoints } from '../networks/endpoints.js';
import { absent, put, unchanged, type Versioned } from '../repositories.js';
import { keptVolumes, settleRemovals } from '../volumes/keep.js';
import { NodeLiveness } from './liveness.js';

export const DEFAULT_NODE_TTL_SECONDS = 10;

/**
 * The agents' gateway: what a node's agent says reaches the store here. A heartbeat keeps the node
 * alive (liveness.ts: in this core's memory, its alive key written when it matters) and is answered
 * with what the agent is to keep and check, read from this core's mirrors — so a heartbeat costs no
 * store round trip in the steady state; a status report is stored and broadcast when it changed.
 * Marking nodes down when they go quiet is the leader's (core/leader/).
 */
/** How long the list of cores' URLs handed to agents is reused. */
const CORES_FRESH_MS = 5000;

export class AgentGateway {
  private cores: { at: number; urls: string[] } = { at: 0, urls: [] };
  private readonly liveness: NodeLiveness;

  constructor(
    private readonly context: CoreContext,
    readonly nodeTtlSeconds = DEFAULT_NODE_TTL_SECONDS,
  ) {
    this.liveness = new NodeLiveness(context.repos, nodeTtlSeconds);
  }

  stop(): void {
    this.liveness.stop();
  }

  async heartbeat(node: string, body: HeartbeatBody): Promise<HeartbeatAnswer> {
    const { repos, publish } = this.context;
    // A node added a moment ago (through any core) may not be in the mirror yet: then read it.
    const known = (await repos.mirrored.nodes()).get(node) ?? (await repos.nodes.get(node));
    if (!known) throw notFound('node', node);
    await this.liveness.beat(node, { at: new Date().toISOString(), ...body });
    // Reads nothing unless the agent reports a volume's directory removed.
    await settleRemovals(repos, node, body.volumes);
    const shared = await keptVolumes(repos, node);
    const binds = (await repos.mirrored.bindChecks()).list().filter((c) => c.name.startsWith(`${node}/`)).map((c) => c.value);
    const answer = { ttl: this.nodeTtlSeconds, resend: false, binds, cores: await this.coreUrls(), ...(shared ? { shared } : {}) };
    const status = (await repos.mirrored.nodeStatus()).get(node) ?? (await repos.nodeStatus.get(node));
    const key = repos.nodeStatus.key(node);
    if (!status || !status.value.up) {
      const up: NodeStatus = { up: true, since: new Date().toISOString(), ...(body.engineError ? { engineError: body.engineError } : {}) };
      const guard = status ? unchanged(key, status.revision) : absent(key);
      if (await repos.commit([guard], [put(key, up)])) publish(event('node.up', { pod: known.value.pod, node, data: {} }));
      // Marking the node down overwrote its workloads' statuses: the agent sends them all again.
      if (status) return { ...answer, resend: true };
    } else if (status.value.engineError !== body.engineError) {
      // Docker stopped (or started again) answering its agent: deploys read it here, with the node's liveness.
      const { engineError: _was, ...rest } = status.value;
      await repos.commit([unchanged(key, status.revision)], [put(key, { ...rest, ...(body.engineError ? { engineError: body.engineError } : {}) })]);
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

  /** Stores what changed and broadcasts it; statuses of workloads not on this node are refused. */
  async report(node: string, statuses: WorkloadStatus[]): Promise<{ changed: number; unknown: string[] }> {
    const unknown: string[] = [];
    const apps: string[] = [];
    let changed = 0;
    // Every record and last status read at once: an agent reports a whole deploy's instances together.
    const ids = statuses.map((s) => s.id);
    const [records, current] = await Promise.all([this.context.repos.workloads.getMany(ids), this.context.repos.statuses.getMany(ids)]);
    for (const [i, status] of statuses.entries()) {
      const workload = records[i];
      if (!workload || workload.value.node !== node) {
        unknown.push(status.id);
        continue;
      }
      if (!(await recordStatus(this.context, workload.value, status, current[i]))) continue;
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
export async function recordStatus(
  context: CoreContext,
  workload: { id: string; app: string; pod: string; node: string; entry: string },
  status: WorkloadStatus,
  read?: Versioned<WorkloadStatus> | null,
): Promise<boolean> {
  const { repos, publish } = context;
  // `read`: the caller read it already (null: there is none).
  const current = read === undefined ? await repos.statuses.get(workload.id) : read;
  if (current && sameStatus(current.value, status)) return false;
  const key = repos.statuses.key(workload.id);
  if (!(await repos.commit([current ? unchanged(key, current.revision) : absent(key)], [put(key, status)]))) return false;
  publish(event('workload.status', { app: workload.app, pod: workload.pod, node: workload.node, workload: workload.id, data: { entry: workload.entry, ...status } }));
  return true;
}
