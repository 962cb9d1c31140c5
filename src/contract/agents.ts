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
  })
  .strict();
export type Heartbeat = z.input<typeof HeartbeatSchema>;

export const HeartbeatAnswerSchema = z.object({ ttl: z.number() });
export type HeartbeatAnswer = z.infer<typeof HeartbeatAnswerSchema>;

/** A node token, shown once when issued. */
export const NodeTokenViewSchema = z.object({ node: z.string(), token: z.string() });
export type NodeTokenView = z.infer<typeof NodeTokenViewSchema>;
