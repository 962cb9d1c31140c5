import { z } from 'zod';
import { VolumeReportSchema } from './volume.js';
import { BindReportSchema } from './bind.js';


/** What an agent says about one workload's container. */
export const WorkloadStatusSchema = z.object({
  id: z.string().min(1).max(256),
  running: z.boolean(),
  /** Passes its health checks (without checks: running). */
  healthy: z.boolean(),
  exitCode: z.number().int().optional(),
  oomKilled: z.boolean().optional(),
  /** Times Docker's restart policy restarted it (its RestartCount). */
  restarts: z.number().int().min(0).optional(),
  /** Why it is not running or not healthy, when known. */
  reason: z.string().max(1024).optional(),
  /** Egress shaping the agent applied, e.g. `eth0: 10mbit`. */
  qos: z.string().max(256).optional(),
});
export type WorkloadStatus = z.infer<typeof WorkloadStatusSchema>;

/** Two statuses say the same (the id aside): then nothing is reported or broadcast. */
export function sameStatus(a: WorkloadStatus | undefined, b: WorkloadStatus): boolean {
  return (
    a !== undefined && a.running === b.running && a.healthy === b.healthy && a.exitCode === b.exitCode && a.oomKilled === b.oomKilled && a.restarts === b.restarts && a.reason === b.reason && a.qos === b.qos
  );
}

/** A node's liveness as the cores see it. Nodes that never had an agent have none. */
export const NodeStatusSchema = z.object({
  up: z.boolean(),
  since: z.string(),
  reason: z.string().optional(),
  /** While the node's agent says its Docker does not answer (its heartbeats carry why): the node takes nothing new. */
  engineError: z.string().optional(),
});
export type NodeStatus = z.infer<typeof NodeStatusSchema>;

/**
 * What a node's agent measured over its last heartbeat interval: each core's use (0–1, by core number,
 * from /proc/stat) and each running workload's CPU (in cores, from its cgroup). Kept with the node's
 * alive key, so it is as fresh as the heartbeat and costs no write of its own.
 */
export const NodeUsageSchema = z.object({
  at: z.string(),
  agent: z.string().default(''),
  containers: z.number().int().min(0).default(0),
  cpu: z.array(z.number().min(0).max(1)).max(4096).default([]),
  workloads: z.record(z.string(), z.number().min(0).max(4096)).default({}),
  /** Each running workload's share of the interval its CPU quota held it throttled (0–1), by workload id. */
  throttled: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /** MooseFS mount points the agent sees on its host. */
  moosefs: z.array(z.string()).default([]),
  /** What it last did about each shared volume it keeps, by `{app}/{name}`. */
  volumes: z.record(z.string(), VolumeReportSchema).default({}),
  /** What it found checking the bind sources it was asked about, by check id. */
  binds: z.record(z.string(), BindReportSchema).default({}),
  /** Why the node's Docker did not answer its agent at the last heartbeat; absent while it answers. */
  engineError: z.string().optional(),
});
export type NodeUsage = z.infer<typeof NodeUsageSchema>;

