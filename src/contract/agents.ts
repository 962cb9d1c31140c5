import { z } from 'zod';
import { WorkloadStatusSchema } from '../model/status.js';
import { VolumeReportSchema } from '../model/volume.js';
import { BindCheckSchema, BindReportSchema } from '../model/bind.js';

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
    /** Each running workload's share of the time since the last heartbeat its CPU quota held it throttled, 0–1. */
    throttled: z.record(z.string().max(256), z.number().min(0).max(1)).default({}),
    /** MooseFS mount points on the host (from /proc/self/mountinfo). */
    moosefs: z.array(z.string().max(1024)).max(256).default([]),
    /** What the agent last did about each shared volume it was asked to keep, by `{app}/{name}`. */
    volumes: z.record(z.string().max(128), VolumeReportSchema).default({}),
    /** What it found checking each bind source it was asked about, by the check's id. */
    binds: z.record(z.string().max(128), BindReportSchema).default({}),
    /** Set when the node's Docker did not answer the agent's ping: the node then takes nothing new. */
    engineError: z.string().max(512).optional(),
  })
  .strict();
export type Heartbeat = z.input<typeof HeartbeatSchema>;
/** A heartbeat as validated, defaults filled. */
export type HeartbeatBody = z.infer<typeof HeartbeatSchema>;

/** A shared volume the node's agent keeps: the directory `{root}/{app}/{name}`, owned by the app, with its quota; or deletes. */
export const KeptVolumeSchema = z.object({
  app: z.string(),
  name: z.string(),
  size: z.number().int().optional(),
  /** `eru app volume rm`: delete the directory. */
  remove: z.boolean(),
});
export type KeptVolume = z.infer<typeof KeptVolumeSchema>;

/**
 * `resend`: the node was down, so its workloads' statuses were overwritten; the agent reports them all again.
 * `shared`: the node's shared root and the volumes its agent keeps there (absent when it keeps none).
 */
export const HeartbeatAnswerSchema = z.object({
  ttl: z.number(),
  resend: z.boolean().default(false),
  /** The URLs the live cores advertise: an agent given one core learns the others, to move on to when it dies. */
  cores: z.array(z.string()).default([]),
  shared: z.object({ root: z.string(), volumes: z.array(KeptVolumeSchema) }).optional(),
  /** Bind sources to check on the node before containers that bind them are made. */
  binds: z.array(BindCheckSchema).default([]),
});
export type HeartbeatAnswer = z.input<typeof HeartbeatAnswerSchema>;

