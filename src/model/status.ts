import { z } from 'zod';

/** Reasons shared by the core (at start) and the agent, so the same state reads the same. */
export const HEALTH_PENDING = 'health checks pending';
export const HEALTH_FAILING = 'health checks failing';

/** What an agent says about one workload's container. */
export const WorkloadStatusSchema = z.object({
  id: z.string().min(1).max(256),
  running: z.boolean(),
  /** Passes its health checks (without checks: running). */
  healthy: z.boolean(),
  exitCode: z.number().int().optional(),
  oomKilled: z.boolean().optional(),
  /** Why it is not running or not healthy, when known. */
  reason: z.string().max(1024).optional(),
  /** Egress shaping the agent applied, e.g. `eth0: 10mbit`. */
  qos: z.string().max(256).optional(),
});
export type WorkloadStatus = z.infer<typeof WorkloadStatusSchema>;

/** Two statuses say the same (the id aside): then nothing is reported or broadcast. */
export function sameStatus(a: WorkloadStatus | undefined, b: WorkloadStatus): boolean {
  return (
    a !== undefined && a.running === b.running && a.healthy === b.healthy && a.exitCode === b.exitCode && a.oomKilled === b.oomKilled && a.reason === b.reason && a.qos === b.qos
  );
}

/** A node's liveness as the cores see it. Nodes that never had an agent have none. */
export const NodeStatusSchema = z.object({
  up: z.boolean(),
  since: z.string(),
  reason: z.string().optional(),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

export const NodeTokenSchema = z.object({ node: z.string(), createdAt: z.string() });
