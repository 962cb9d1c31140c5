import type { CoreContext } from '../context.js';
import { applyQuota } from '../deploy/containers.js';
import { del, put, unchanged } from '../repositories.js';
import { deadline } from '../../engine/docker.js';

/**
 * Startup boost: a container starts without its CFS quota (the ledger still holds exactly its
 * share) and gets it once it is healthy, or once its boost time is up. Any core can do it, so a core
 * that dies between a start and the quota leaves nothing running unthrottled for good: the leader
 * looks every second, at the index of those still waiting (repos.boosts). Returns how many quotas it put on.
 */
export async function applyDueQuotas({ repos, engines, log }: CoreContext, now = Date.now()): Promise<number> {
  let applied = 0;
  for (const { name: id } of await repos.boosts.list()) {
    const found = await repos.workloads.get(id);
    const boostKey = repos.boosts.key(id);
    // Gone, or given its quota another way (a resize): nothing to wait for.
    if (!found || found.value.quotaSince !== undefined || found.value.cpuSettings.cpuQuota <= 0) {
      await repos.commit([], [del(boostKey)]);
      continue;
    }
    const { value: workload, revision } = found;
    const node = (await repos.nodes.get(workload.node))?.value;
    if (!node || workload.containerId === undefined) continue;
    const docker = engines.get(node);
    let due = workload.startupBoost === undefined || now >= Date.parse(workload.createdAt) + workload.startupBoost * 1000;
    try {
      if (!due && workload.healthcheck) {
        const health = ((await docker.getContainer(workload.id).inspect(deadline())).State as { Health?: { Status?: string } }).Health?.Status;
        due = health === 'healthy';
      }
      if (!due) continue;
      await applyQuota(docker, workload);
    } catch (error) {
      log.warn({ err: error, workload: workload.id }, 'cannot put the CPU quota on after the startup boost; trying again');
      continue;
    }
    const key = repos.workloads.key(workload.id);
    if (await repos.commit([unchanged(key, revision)], [put(key, { ...workload, quotaSince: new Date(now).toISOString() }), del(boostKey)])) applied++;
  }
  return applied;
}

/** Start-up: workloads an older core left waiting for their quota get their index key (repos.boosts). */
export async function indexPendingQuotas({ repos }: CoreContext): Promise<number> {
  const indexed = new Set((await repos.boosts.list()).map((b) => b.name));
  const pending = (await repos.workloads.list()).filter((w) => w.value.cpuSettings.cpuQuota > 0 && w.value.quotaSince === undefined && w.value.containerId !== undefined && !indexed.has(w.value.id));
  if (pending.length > 0) await repos.commit([], pending.map((w) => put(repos.boosts.key(w.value.id), { node: w.value.node, since: w.value.createdAt })));
  return pending.length;
}
