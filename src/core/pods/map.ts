import { cordonOf } from '../../model/node.js';
import type { PodMap } from '../../contract/map.js';
import { notFound } from '../../lib/errors.js';
import type { CoreContext } from '../context.js';
import type { WorkloadStatus } from '../../model/status.js';
import type { NodeService } from '../nodes/index.js';
import { heldState, heldWorkloads } from '../workloads/held.js';

/** Workloads a pod map lists one by one, with who holds each core; a larger pod's map is summarized. */
export const MAP_DETAIL_WORKLOADS = 50_000;

/**
 * The pod map the dashboard draws: the nodes as the API shows them (CPU map, liveness, measured use)
 * joined with the workloads that hold each core's pieces. The nodes are `eru node show`'s views and
 * the states `eru ps`'s (contract/states.ts), so the three always agree.
 */
export async function podMap(context: CoreContext, nodes: NodeService, podName: string): Promise<PodMap> {
  const pod = await context.repos.pods.get(podName);
  if (!pod) throw notFound('pod', podName);
  const views = await nodes.list(podName);
  // How many the pod holds, from the ledgers (mirrored): past MAP_DETAIL_WORKLOADS, the map is drawn without who holds what.
  const ledgers = await (await context.repos.mirrored.ledgers()).fresh();
  const instances = new Map(views.map((v) => [v.name, Object.values(ledgers.get(v.name)?.value.held ?? {}).reduce((sum, n) => sum + n, 0)]));
  const total = [...instances.values()].reduce((sum, n) => sum + n, 0);
  const summarized = total > MAP_DETAIL_WORKLOADS;
  // Read straight from the repositories: a list item per workload (a copy of every field) costs
  // more than the map needs, for 20,000 workloads.
  const statuses = summarized ? new Map<string, WorkloadStatus>() : new Map((await context.repos.statuses.list()).map((s) => [s.name, s.value]));
  // Whatever holds pieces: recorded workloads, and deploys and jobs under way (held.ts).
  const items = summarized ? [] : (await heldWorkloads(context.repos)).filter((h) => h.holdsPieces && h.workload.pod === podName);
  const usage = new Map(views.map((v) => [v.name, v.usage?.workloads ?? {}]));
  // core → holders, per node
  const holders = new Map<string, Map<string, Array<[string, number]>>>();
  for (const { workload: w } of items) {
    const byCore = holders.get(w.node) ?? new Map<string, Array<[string, number]>>();
    holders.set(w.node, byCore);
    for (const [core, pieces] of Object.entries(w.placement.cpuset ?? {})) {
      const list = byCore.get(core) ?? [];
      list.push([w.id, pieces]);
      byCore.set(core, list);
    }
  }
  const sharebase = pod.value.sharebase;
  let wholeCores = 0;
  let freePieces = 0;
  let memory = 0;
  const mapped = views.map((v) => {
    const schedulable = v.liveness.state !== 'down' && !v.bypass && cordonOf(v) === undefined && !v.usage?.engineError;
    if (schedulable) {
      wholeCores += v.cpuMap.filter((c) => c.state === 'free').length;
      freePieces += v.resources.cpuFree * sharebase;
      memory += v.resources.memoryFree;
    }
    return {
      name: v.name,
      liveness: v.liveness.state,
      ...(v.usage ? { heartbeat: v.usage.at } : {}),
      ...(v.liveness.reason ? { reason: v.liveness.reason } : {}),
      labels: v.labels,
      bypass: v.bypass,
      ...(v.draining ? { draining: v.draining } : {}),
      ...(v.gone ? { gone: true } : {}),
      ...(v.numa ? { numa: v.numa } : {}),
      memory: { total: v.resources.memoryTotal, free: v.resources.memoryFree },
      unboundCpu: v.resources.unboundCpu,
      instances: instances.get(v.name) ?? 0,
      cores: v.cpuMap.map((c) => ({
        core: c.core,
        state: c.state,
        free: c.free,
        ...(c.use !== undefined ? { use: c.use } : {}),
        holders: (holders.get(v.name)?.get(c.core) ?? []).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      })),
    };
  });
  return {
    pod: pod.value,
    nodes: mapped,
    workloads: items.map((held) => {
      const w = held.workload;
      const use = usage.get(w.node)?.[w.id];
      return {
        id: w.id,
        app: w.app,
        entry: w.entry,
        kind: held.kind,
        node: w.node,
        cpu: w.cpu,
        memory: w.placement.memory,
        state: heldState(held, statuses.get(w.id)),
        healthcheck: w.healthcheck !== undefined,
        ...(use !== undefined ? { use } : {}),
      };
    }),
    ...(summarized ? { summarized: { workloads: total, over: MAP_DETAIL_WORKLOADS } } : {}),
    free: { wholeCores, cpu: Math.round(freePieces) / sharebase, memory },
  };
}
