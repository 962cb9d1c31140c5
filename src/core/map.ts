import type { PodMap } from '../contract/map.js';
import { workloadState } from '../contract/states.js';
import { notFound } from '../lib/errors.js';
import type { CoreContext } from './context.js';
import type { NodeService } from './nodes/index.js';

/**
 * The pod map the dashboard draws: the nodes as the API shows them (CPU map, liveness, measured use)
 * joined with the workloads that hold each core's pieces. The nodes are `eru node show`'s views and
 * the states `eru ps`'s (contract/states.ts), so the three always agree.
 */
export async function podMap(context: CoreContext, nodes: NodeService, podName: string): Promise<PodMap> {
  const pod = await context.repos.pods.get(podName);
  if (!pod) throw notFound('pod', podName);
  const views = await nodes.list(podName);
  // Read straight from the repositories: a list item per workload (a copy of every field) costs
  // more than the map needs, for 20,000 workloads.
  const statuses = new Map((await context.repos.statuses.list()).map((s) => [s.name, s.value]));
  const items = (await context.repos.workloads.list()).map((w) => w.value).filter((w) => w.pod === podName);
  const usage = new Map(views.map((v) => [v.name, v.usage?.workloads ?? {}]));
  // core → holders, per node
  const holders = new Map<string, Map<string, Array<[string, number]>>>();
  for (const w of items) {
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
    const schedulable = v.liveness.state !== 'down' && !v.bypass;
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
      ...(v.numa ? { numa: v.numa } : {}),
      memory: { total: v.resources.memoryTotal, free: v.resources.memoryFree },
      unboundCpu: v.resources.unboundCpu,
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
    workloads: items.map((w) => {
      const use = usage.get(w.node)?.[w.id];
      return {
        id: w.id,
        app: w.app,
        entry: w.entry,
        node: w.node,
        cpu: w.cpu,
        memory: w.placement.memory,
        state: workloadState(statuses.get(w.id), w.healthcheck !== undefined),
        healthcheck: w.healthcheck !== undefined,
        ...(use !== undefined ? { use } : {}),
      };
    }),
    free: { wholeCores, cpu: Math.round(freePieces) / sharebase, memory },
  };
}
