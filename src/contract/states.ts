// Plain data and one pure function, no schema: the CLI, the dashboard and the core all read a
// workload's state the same way, and the dashboard's bundle stays free of zod.

/** Reasons shared by the core (at start) and the agent, so the same state reads the same. */
export const HEALTH_PENDING = 'health checks pending';
export const HEALTH_FAILING = 'health checks failing';

/**
 * A workload's state in one word: what `eru ps` shows and filters by. From its agent's last report once
 * it is recorded; before that, from what the core is doing with it (`creating` while a deploy or a job
 * makes its container, `removing` until its container is gone).
 */
export const WORKLOAD_STATES = ['creating', 'running', 'healthy', 'unhealthy', 'starting', 'exited', 'removing', 'unknown'] as const;
export type WorkloadState = (typeof WORKLOAD_STATES)[number];

/** What holds a node's pieces: a service's instance (deploy, scale, replace) or an offline job (`eru run`) while it runs. */
export const WORKLOAD_KINDS = ['service', 'job'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** One word for where a workload stands, from its agent's last report (null: none yet). */
export function workloadState(status: { running: boolean; healthy: boolean; reason?: string } | null | undefined, hasHealthcheck: boolean): WorkloadState {
  if (!status) return 'unknown';
  if (!status.running) return 'exited';
  if (status.healthy) return hasHealthcheck ? 'healthy' : 'running';
  return status.reason === HEALTH_PENDING ? 'starting' : 'unhealthy';
}
