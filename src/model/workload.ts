import { z } from 'zod';
import { MemorySizeSchema } from '../lib/validate.js';
import { DnsLabelSchema, LabelsSchema, NodeNameSchema } from './names.js';
import { RateSchema, WorkloadAddressSchema } from './network.js';
import { PlacementSchema } from './resources.js';
import { SharedVolumesSchema } from './volume.js';

/** An entrypoint name: part of the workload name `{app}_{entry}_{random}`, so no `_`. */
export const EntrypointNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'use lowercase letters, digits and inner dashes (no "_")');

/** `8080:80`, `127.0.0.1:8080:80`, `0.0.0.0:8080:80/udp`; without a host address it binds 127.0.0.1. */
export const PublishSchema = z
  .string()
  .regex(/^((\d{1,3}\.){3}\d{1,3}:)?\d{1,5}:\d{1,5}(\/(tcp|udp))?$/, 'use [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]');

/** `/host:/container[:ro]`: absolute paths, no `..`. */
export const VolumeSchema = z
  .string()
  .regex(/^\/[^:]*:\/[^:]*(:(ro|rw))?$/, 'use /host/path:/container/path[:ro]')
  .refine((v) => !v.split(':').slice(0, 2).some((p) => p.split('/').includes('..')), 'a volume path may not contain ".."');

export const RestartSchema = z
  .string()
  .regex(/^(no|always|unless-stopped|on-failure(:\d{1,4})?)$/, 'use no, always, unless-stopped or on-failure[:N]');

export const EnvSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an env name is letters, digits and _'), z.string().max(32768));

const PortSchema = z.number().int().min(1).max(65535);

/** An app's environment name (prod, staging): which env set a workload runs with. */
export const EnvSetNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an environment is lowercase letters, digits and dashes');

/**
 * Health checks, run inside the container by Docker every interval (so they reach the workload's own
 * loopback and need no network path from the host); they use `sh`, `nc` and `wget` from the image.
 */
export const HealthcheckSchema = z
  .object({
    tcpPorts: z.array(PortSchema).max(16).default([]),
    http: z
      .object({
        port: PortSchema,
        path: z.string().max(512).regex(/^\/[A-Za-z0-9._~/-]*$/, 'a path of letters, digits and . _ ~ / -').default('/'),
        code: z.number().int().min(100).max(599).default(200),
      })
      .strict()
      .optional(),
    intervalSeconds: z.number().int().min(1).max(3600).default(2),
    timeoutSeconds: z.number().int().min(1).max(600).default(2),
    retries: z.number().int().min(1).max(100).default(3),
  })
  .strict()
  .refine((h) => h.tcpPorts.length > 0 || h.http !== undefined, 'a health check needs tcpPorts or http');
export type Healthcheck = z.infer<typeof HealthcheckSchema>;

/** An entrypoint's hooks: shell commands (`sh -c`) run inside the container. */
export const HooksSchema = z
  .object({
    afterStart: z.array(z.string().min(1).max(4096)).max(16).default([]),
    beforeStop: z.array(z.string().min(1).max(4096)).max(16).default([]),
    /** A failing after_start fails the instance; a failing before_stop aborts the stop. Without it, failures are reported. */
    force: z.boolean().default(false),
  })
  .strict();
export type Hooks = z.infer<typeof HooksSchema>;

/** What to run and how much of the pod it takes: the body of a deploy and of a job. */
export const WorkloadSpecSchema = z
  .object({
    pod: DnsLabelSchema,
    app: DnsLabelSchema,
    entry: EntrypointNameSchema.default('main'),
    image: z.string().min(1).max(512).regex(/^[\w./:@-]+$/, 'an image reference is letters, digits and . / : @ - _'),
    /** A version's built image by its ID: the container is made from exactly it, whatever a tag says now. */
    imageId: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'an image ID: sha256: and 64 hex digits').optional(),
    command: z.array(z.string().max(32768)).max(256).default([]),
    cpu: z.number().min(0).max(4096).default(0),
    memory: MemorySizeSchema.default(0),
    bind: z.boolean().default(true),
    env: EnvSchema.default({}),
    publish: z.array(PublishSchema).max(64).default([]),
    /** Container ports to expose without publishing them (PORT/tcp|udp), as an entrypoint declares. */
    expose: z.array(z.string().regex(/^\d{1,5}\/(tcp|udp)$/, 'PORT/tcp or PORT/udp')).max(64).default([]),
    /** Host paths bound in, given by an admin (`eru deploy --volume`): not checked, the admin's own. */
    volumes: z.array(VolumeSchema).max(64).default([]),
    /**
     * An app.yaml's binds (`SOURCE:TARGET[:ro]`), each source under `{bind root}/{app}/`: checked on the
     * node by its agent before the container is made (core/apps/binds.ts, agent/binds.ts).
     */
    binds: z.array(VolumeSchema).max(64).default([]),
    restart: RestartSchema.default('no'),
    user: z.string().max(256).regex(/^[\w.:-]*$/, 'a user is NAME, UID or UID:GID').optional(),
    workdir: z.string().max(1024).regex(/^\//, 'an absolute path').optional(),
    labels: LabelsSchema.default({}),
    healthcheck: HealthcheckSchema.optional(),
    /** Commands run in the container through exec (app.yaml hooks). */
    hooks: HooksSchema.optional(),
    /**
     * Seconds a container runs without its CFS quota at start, so a JVM or a cache warm-up starts at
     * the speed of its cores; the quota comes on once it is healthy or the time is up. Without it the
     * quota comes on as soon as the container runs. The ledger never changes.
     */
    startupBoost: z.number().int().min(1).max(3600).optional(),
    /** MacVLAN networks (eru network add): each instance gets an address of each from Eru's pool. */
    networks: z.array(DnsLabelSchema).max(8).default([]),
    /** Host mode: the host's network stack, no address from a pool; ports are the host's. */
    hostNetwork: z.boolean().default(false),
    /** Egress shaping of the macvlan interfaces (applied by the node's agent). */
    rate: RateSchema.optional(),
    /** Shared volumes (MooseFS): the app's directories that every node of the pod sees. */
    shared: SharedVolumesSchema.default([]),
    /** Capabilities given back beyond Docker's defaults less NET_RAW and MKNOD (admin only): NET_RAW lets a workload forge addresses on Eru's networks. */
    capAdd: z.array(z.string().regex(/^[A-Z_]{2,32}$/, 'a capability name such as NET_ADMIN')).max(16).default([]),
    /** Most processes it may have; the pod's default when left out. */
    pidsLimit: z.number().int().min(16).max(4_194_304).optional(),
    /** The app's env set it runs with, by name and version: its values are put in when the container is made, never kept here. */
    envSet: z.object({ name: EnvSetNameSchema, version: z.number().int().min(0) }).strict().optional(),
  })
  .strict();
export type WorkloadSpec = z.infer<typeof WorkloadSpecSchema>;

/** A placement's Docker CPU settings (engine/cpu.ts `cpuFor`), kept whole with the workload. */
export const CpuSettingsSchema = z.object({
  cpusetCpus: z.string(),
  cpuShares: z.number().int(),
  /** CFS quota in µs per period; 0 for none (whole cores only). */
  cpuQuota: z.number().int(),
  cpuPeriod: z.number().int(),
  /** The NUMA node's memory, for a placement inside one. */
  cpusetMems: z.string().optional(),
});
export type CpuSettings = z.infer<typeof CpuSettingsSchema>;

/** A placed workload: one container on one node, with exactly what it holds there. */
export const WorkloadSchema = WorkloadSpecSchema.extend({
  /** Also the container's name: `{app}_{entry}_{6 random chars}`. */
  id: z.string(),
  node: NodeNameSchema,
  placement: PlacementSchema.omit({ node: true }),
  /** The addresses it holds, one per network. */
  addresses: z.array(WorkloadAddressSchema).default([]),
  /** Set while it is taken out of its endpoints before it stops (replace, scale down): since when. */
  drainingSince: z.string().optional(),
  /** When its CPU quota came on after the start (startup boost); absent while it runs without it. */
  quotaSince: z.string().optional(),
  containerId: z.string().optional(),
  /** The host directory of each shared volume on its node, in the order of `shared`. */
  sharedDirs: z.array(z.string()).default([]),
  /** The Docker CPU settings its placement comes to (the quota may still be held back: `quotaSince`). */
  cpuSettings: CpuSettingsSchema,
  /** When an operator stopped it (eru stop): the keeper leaves a stopped instance be, counted. Cleared by a start. */
  stoppedAt: z.string().optional(),
  createdAt: z.string(),
});
export type Workload = z.infer<typeof WorkloadSchema>;

/**
 * A workload record as older cores stored it (the CPU settings as three loose fields) in today's
 * shape; today's records pass unchanged. Applied to every workload read (core/repositories.ts) and
 * rewritten at start-up (core/cpu/migrations.ts).
 */
export function upgradeWorkload(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || 'cpuSettings' in raw || !('cpusetCpus' in raw)) return raw;
  const { cpusetCpus, cpuShares, cpuQuota, ...rest } = raw as Record<string, unknown> & { cpuQuota?: number; placement?: { numa?: string } };
  const numa = rest.placement?.numa;
  return {
    ...rest,
    cpuSettings: { cpusetCpus, cpuShares, cpuQuota, cpuPeriod: (cpuQuota ?? 0) > 0 ? 100_000 : 0, ...(numa !== undefined ? { cpusetMems: numa } : {}) },
  };
}

