import { z } from 'zod';
import { ServiceSchema } from '../model/service.js';
import { MemorySizeSchema } from '../lib/validate.js';
import { EnvNameSchema, VersionRefSchema } from '../model/app.js';
import { DnsLabelSchema, LabelsSchema, NodeNameSchema } from '../model/names.js';
import { StrategySchema } from '../model/resources.js';
import { LIMIT_MEANING } from '../model/strategies.js';
import { WorkloadStatusSchema } from '../model/status.js';
import { WORKLOAD_KINDS, WORKLOAD_STATES } from './states.js';
import { EntrypointNameSchema, PublishSchema, WorkloadSchema, WorkloadSpecSchema } from '../model/workload.js';
import { DeployNetworkSchema } from './networks.js';
import { BooleanQuery, PageQuerySchema } from './query.js';

/** Workloads on the wire: deploy, job and capacity bodies, filters, and what `inspect` shows. */

export const DeployBodySchema = WorkloadSpecSchema.extend({
  /** The image to run; or leave it out and give `version` to run a built version of the app. */
  image: WorkloadSpecSchema.shape.image.optional(),
  /** A built version of the app (7+ hex digits of its sha): image, command, health check, restart policy and binds come from its app.yaml entrypoint. */
  version: VersionRefSchema.optional(),
  /** An environment whose env vars (eru app env set) the workloads get. */
  envSet: EnvNameSchema.optional(),
  /** Run a version whose app.yaml tests failed or have not passed (they are refused otherwise). */
  allowUntested: z.boolean().optional(),
  count: z.number().int().min(1).max(10000),
  strategy: StrategySchema.default('AUTO'),
  limit: z.number().int().min(0).default(0).describe(LIMIT_MEANING),
  /** EACH: refuse the whole deploy when a node cannot take `count` (all or nothing), instead of leaving it out. */
  strict: z.boolean().default(false),
  /** Only these nodes. */
  nodes: z.array(NodeNameSchema).default([]),
  /** Only nodes with these labels. */
  nodeLabels: LabelsSchema.default({}),
  /** MacVLAN networks, each with fixed addresses for the instances when given. */
  networks: z.array(DeployNetworkSchema).max(8).default([]),
  /** The leader keeps the service at its count: lost instances replaced elsewhere, surplus removed (the service's record). */
  keep: ServiceSchema.shape.keep,
  /** Seconds an instance's node may be down before it is replaced elsewhere. */
  lostAfter: ServiceSchema.shape.lostAfter,
})
  .strict()
  .refine((body) => body.image !== undefined || body.version !== undefined, { message: 'give image, or version to run a built version of the app', path: ['image'] });
export type DeployBody = z.infer<typeof DeployBodySchema>;

export const JobBodySchema = WorkloadSpecSchema.extend({
  nodes: z.array(NodeNameSchema).default([]),
  nodeLabels: LabelsSchema.default({}),
}).strict();
export type JobBody = z.infer<typeof JobBodySchema>;

export const CapacityBodySchema = z
  .object({
    cpu: z.number().min(0).max(4096).default(0),
    memory: MemorySizeSchema.default(0),
    bind: z.boolean().default(true),
    app: DnsLabelSchema.optional(),
    entry: EntrypointNameSchema.optional(),
    count: z.number().int().min(0).max(10000).default(0),
    strategy: StrategySchema.default('AUTO'),
    limit: z.number().int().min(0).default(0).describe(LIMIT_MEANING),
    nodes: z.array(NodeNameSchema).default([]),
    nodeLabels: LabelsSchema.default({}),
    /** Host ports each instance would publish: nodes where one is held are left out, and a node takes one. */
    publish: z.array(PublishSchema).max(64).default([]),
  })
  .strict();
export type CapacityBody = z.infer<typeof CapacityBodySchema>;

export { WORKLOAD_KINDS, WORKLOAD_STATES, type WorkloadKind, type WorkloadState } from './states.js';

export const WorkloadFilterSchema = PageQuerySchema.extend({
  pod: DnsLabelSchema.optional(),
  app: DnsLabelSchema.optional(),
  entry: EntrypointNameSchema.optional(),
  node: NodeNameSchema.optional(),
  /** Only workloads in this state (see WORKLOAD_STATES). */
  status: z.enum(WORKLOAD_STATES).optional(),
  /** Only a service's instances, or only jobs. */
  kind: z.enum(WORKLOAD_KINDS).optional(),
})
  // A misspelt filter is an error, not a silently unfiltered list.
  .strict();
export type WorkloadFilter = z.infer<typeof WorkloadFilterSchema>;

/** A workload in a list: its record, the agent's last report, its state in one word, and whether it is a job. */
export const WorkloadListItemSchema = WorkloadSchema.extend({
  kind: z.enum(WORKLOAD_KINDS),
  status: WorkloadStatusSchema.nullable(),
  state: z.enum(WORKLOAD_STATES),
});
export type WorkloadListItem = z.infer<typeof WorkloadListItemSchema>;

/** `POST /v1/workloads/{id}/resize`: new CPU and memory, in place; left out, a value stays as it is. */
export const ResizeBodySchema = z
  .object({
    cpu: z.number().min(0).max(4096).optional(),
    memory: MemorySizeSchema.optional(),
    /** false: leave the pinned cores for the shared pool under a quota; true: pin. */
    bind: z.boolean().optional(),
  })
  .strict()
  .refine((b) => b.cpu !== undefined || b.memory !== undefined || b.bind !== undefined, { message: 'give cpu, memory or bind', path: ['cpu'] });
export type ResizeBody = z.infer<typeof ResizeBodySchema>;

export const RemoveQuerySchema = z.object({ drain: z.coerce.number().int().min(0).max(600).default(0) }).strict();

export const WorkloadIdParamsSchema = z.object({ id: z.string().min(1).max(256) });


/** The container as Docker reports it, beside Eru's record. */
export const ContainerStateSchema = z.object({
  status: z.string(),
  running: z.boolean(),
  exitCode: z.number().int(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  cpusetCpus: z.string().optional(),
  cpuShares: z.number().optional(),
  cpuQuota: z.number().optional(),
  memory: z.number().optional(),
});
export type ContainerState = z.infer<typeof ContainerStateSchema>;

/** `GET /v1/workloads/{id}`: the record, the agent's last report, and the container (null when gone). */
export const WorkloadInspectSchema = z.object({
  workload: WorkloadSchema,
  status: WorkloadStatusSchema.nullable(),
  container: ContainerStateSchema.nullable(),
});
export type WorkloadInspect = z.infer<typeof WorkloadInspectSchema>;

export const CONTROL_ACTIONS = ['start', 'stop', 'restart'] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];
export const ControlParamsSchema = WorkloadIdParamsSchema.extend({ action: z.enum(CONTROL_ACTIONS) });
export const ControlQuerySchema = z.object({ timeout: z.coerce.number().int().min(0).max(3600).default(10) }).strict();

export const LogsQuerySchema = z.object({ follow: BooleanQuery.default(false), tail: z.coerce.number().int().min(0).max(1_000_000).optional() }).strict();

/** `POST /v1/pods/{pod}/capacity`: how many more fit, per node, and why no more. */
export const CapacityReportSchema = z.object({
  total: z.number().int(),
  nodes: z.array(z.object({ node: z.string(), capacity: z.number().int(), reason: z.string().optional() })),
});
export type CapacityReportView = z.infer<typeof CapacityReportSchema>;
