import type Docker from 'dockerode';
import type { Workload } from '../../model/workload.js';
import { deadline } from '../../engine/docker.js';

/**
 * Waits until new instances count as healthy: with a health check, Docker says `healthy`; without
 * one, the container has kept running (no restart) for `minHealthySeconds`. Gives up at the deadline,
 * or at once when a container stops. Returns why not, or null when all are healthy.
 */
export async function waitHealthy(
  dockerOf: (workload: Workload) => Docker,
  workloads: readonly Workload[],
  options: { minHealthySeconds: number; deadlineSeconds: number; pollMs?: number },
): Promise<string | null> {
  const giveUpAt = Date.now() + options.deadlineSeconds * 1000;
  const pending = new Set(workloads.map((w) => w.id));
  const byId = new Map(workloads.map((w) => [w.id, w]));
  for (;;) {
    for (const id of [...pending]) {
      const workload = byId.get(id)!;
      const info = await dockerOf(workload).getContainer(id).inspect(deadline());
      const state = info.State as typeof info.State & { Health?: { Status?: string } };
      if (!state.Running) return `${id} on ${workload.node} stopped (exit ${state.ExitCode}) before it was healthy`;
      const healthy = workload.healthcheck
        ? state.Health?.Status === 'healthy'
        : info.RestartCount === 0 && Date.now() - Date.parse(state.StartedAt) >= options.minHealthySeconds * 1000;
      if (healthy) pending.delete(id);
    }
    if (pending.size === 0) return null;
    if (Date.now() > giveUpAt) {
      return `${[...pending].join(', ')} did not turn healthy within ${options.deadlineSeconds} s${workloads[0]?.healthcheck ? ' (its health check did not pass)' : ''}`;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
