import { cordonOf } from '../../model/node.js';
import type { PodMap } from '../../contract/map.js';
import { notFound } from '../../lib/errors.js';
import type { CoreContext } from '../context.js';
import type { NodeService } from '../nodes/index.js';
import { heldState, heldWorkloads } from '../workloads/held.js';

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
  // Whatever holds pieces: recorded workloads, and deploys and jobs under way (held.ts).
  const items = (await heldWorkloads(context.repos)).filter((h) => h.holdsPieces && h.workload.pod === podName);
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
    free: { wholeCores, cpu: Math.round(freePieces) / sharebase, memory },
  };
}
