import { z } from 'zod';
import { WorkloadStatusSchema } from '../model/status.js';

/** What agents send, with a node token that speaks for their own node only. */
export const StatusReportSchema = z.object({ workloads: z.array(WorkloadStatusSchema).max(10000) }).strict();
export type StatusReport = z.infer<typeof StatusReportSchema>;

export const StatusAnswerSchema = z.object({ changed: z.number().int(), unknown: z.array(z.string()) });
export type StatusAnswer = z.infer<typeof StatusAnswerSchema>;

export const HeartbeatSchema = z
  .object({
    /** Eru containers the agent sees on its node. */
    containers: z.number().int().min(0).default(0),
    agent: z.string().max(64).default(''),
    /** Each core's use since the last heartbeat, 0–1, by core number (absent from an older agent). */
    cpu: z.array(z.number().min(0).max(1)).max(4096).default([]),
    /** Each running workload's CPU since the last heartbeat, in cores. */
    workloads: z.record(z.string().max(256), z.number().min(0).max(4096)).default({}),
  })
  .strict();
export type Heartbeat = z.input<typeof HeartbeatSchema>;
/** A heartbeat as validated, defaults filled. */
export type HeartbeatBody = z.infer<typeof HeartbeatSchema>;

/** `resend`: the node was down, so its workloads' statuses were overwritten; the agent reports them all again. */
export const HeartbeatAnswerSchema = z.object({ ttl: z.number(), resend: z.boolean().default(false) });
export type HeartbeatAnswer = z.input<typeof HeartbeatAnswerSchema>;

/** A node token, shown once when issued. */
export const NodeTokenViewSchema = z.object({ node: z.string(), token: z.string() });
export type NodeTokenView = z.infer<typeof NodeTokenViewSchema>;
