import { z } from 'zod';
import { MemorySizeSchema } from '../lib/validate.js';
import { VersionRefSchema } from '../model/app.js';
import { DnsLabelSchema } from '../model/names.js';
import { ServiceSchema } from '../model/service.js';
import { EntrypointNameSchema, WorkloadSpecSchema } from '../model/workload.js';

/** Services on the wire: an app's entrypoint in a pod, scaled, replaced by a new version, applied from a file. */
export const ServiceParamsSchema = z.object({ app: DnsLabelSchema, entry: EntrypointNameSchema });

/** `GET /v1/services`: each service with what its last deploy asked and how many instances it runs. */
export const ServiceViewSchema = ServiceSchema.extend({ instances: z.number().int() });
export type ServiceView = z.infer<typeof ServiceViewSchema>;

/** `PUT /v1/apps/{app}/entries/{entry}/scale`. */
export const ScaleBodySchema = z
  .object({
    /** The pod; may be left out when the app/entrypoint runs in one pod only. */
    pod: DnsLabelSchema.optional(),
    count: z.number().int().min(0).max(10000),
    /** Seconds a removed instance is out of its endpoints before it stops. */
    drain: z.number().int().min(0).max(600).default(0),
  })
  .strict();
export type ScaleBody = z.infer<typeof ScaleBodySchema>;

/** `POST /v1/apps/{app}/entries/{entry}/resize`: every instance resized in place, and the service record too. */
export const ServiceResizeBodySchema = z
  .object({
    pod: DnsLabelSchema.optional(),
    cpu: z.number().min(0).max(4096).optional(),
    memory: MemorySizeSchema.optional(),
  })
  .strict()
  .refine((b) => b.cpu !== undefined || b.memory !== undefined, { message: 'give cpu or memory', path: ['cpu'] });

const Seconds = z.number().min(0).max(86400);

/** `POST /v1/apps/{app}/entries/{entry}/replace`: a rolling replace to another version, or (a service deployed from an image) another image. */
export const ReplaceBodySchema = z
  .object({
    pod: DnsLabelSchema.optional(),
    /** The built version to move to (a service deployed by version). */
    version: VersionRefSchema.optional(),
    /** The image to move to (a service deployed from an image). */
    image: WorkloadSpecSchema.shape.image.optional(),
    /** Move to a version whose app.yaml tests failed or have not passed (refused otherwise). */
    allowUntested: z.boolean().optional(),
    /** New instances started ahead of the old ones they replace (needs room); 0 replaces in place. */
    maxSurge: z.number().int().min(0).max(1000).default(1),
    /** Old instances that may be gone before their replacements are healthy. */
    maxUnavailable: z.number().int().min(0).max(1000).default(0),
    /** Without a health check, how long a new instance must keep running to count as healthy. */
    minHealthy: Seconds.default(10),
    /** How long a new instance has to turn healthy before the batch counts as failed. */
    healthyDeadline: Seconds.default(300),
    /** Seconds an old instance is out of the endpoints before it stops. */
    drain: Seconds.default(2),
    /** Roll every replaced instance back to the old version when a batch fails (default). */
    rollback: z.boolean().default(true),
    /** A canary: stop once this many new instances are healthy, until `eru rollout promote` (or `abort`). */
    canary: z.number().int().min(1).max(1000).optional(),
    /** With a canary: promote by itself after these seconds if the new instances did no worse than the old (restarts, stops, health, throttling), abort otherwise. */
    canaryAuto: z.number().min(1).max(86400).optional(),
  })
  .strict()
  .refine((b) => b.canaryAuto === undefined || b.canary !== undefined, { message: 'canary-auto judges a canary: give canary too', path: ['canaryAuto'] })
  .refine((b) => (b.version === undefined) !== (b.image === undefined), { message: 'give version (a service deployed by version) or image (one deployed from an image), one of them', path: ['version'] })
  .refine((b) => b.maxSurge > 0 || b.maxUnavailable > 0, { message: 'max-surge and max-unavailable cannot both be 0: nothing could move', path: ['maxSurge'] });
export type ReplaceBody = z.infer<typeof ReplaceBodySchema>;

/**
 * One service as a desired-state file (`eru apply`, `PUT /v1/services`) says it should be. The command
 * is `command` (a list of words) or, as in app.yaml, `cmd` (a string the image's `sh -c` runs).
 */
export const DesiredServiceSchema = z
  .object({
    app: DnsLabelSchema,
    pod: DnsLabelSchema,
    entry: EntrypointNameSchema,
    version: VersionRefSchema.optional(),
    image: WorkloadSpecSchema.shape.image.optional(),
    command: z.array(z.string().max(32768)).max(256).optional(),
    cmd: z.string().min(1).max(32768).optional(),
    count: z.number().int().min(0).max(10000),
    cpu: z.number().min(0).max(4096),
    memory: MemorySizeSchema.default(0),
    envSet: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an environment is lowercase letters, digits and dashes').optional(),
    networks: z.array(DnsLabelSchema).max(8).default([]),
  })
  .strict()
  .refine((s) => (s.version === undefined) !== (s.image === undefined), { message: 'give version (an app version) or image, one of them', path: ['version'] })
  .refine((s) => s.command === undefined || s.cmd === undefined, { message: 'give command (a list of words) or cmd (a string run by sh -c), not both', path: ['cmd'] });
export type DesiredService = z.infer<typeof DesiredServiceSchema>;

/** `PUT /v1/services`: converge each service once; with `dryRun`, only say what would change. */
export const ApplyBodySchema = z
  .object({
    services: z.array(DesiredServiceSchema).min(1).max(1000),
    dryRun: z.boolean().default(false),
    /** Run versions whose app.yaml tests failed or have not passed (refused otherwise). */
    allowUntested: z.boolean().default(false),
  })
  .strict();
export type ApplyBody = z.infer<typeof ApplyBodySchema>;

/** One change apply makes (or would make): create, replace, resize or scale a service. */
export const ApplyStepSchema = z.object({
  kind: z.enum(['create', 'replace', 'resize', 'scale']),
  app: z.string(),
  entry: z.string(),
  pod: z.string(),
  /** The change in words, e.g. `scale hello/web in p1: 3 → 5`. */
  change: z.string(),
});
export type ApplyStep = z.infer<typeof ApplyStepSchema>;

/** `GET /v1/apps/{app}/entries/{entry}/rollouts?pod=`: the service's rollouts, oldest first. */
export const RolloutQuerySchema = z.object({ pod: DnsLabelSchema.optional() }).strict();

/** `POST /v1/apps/{app}/entries/{entry}/rollouts/{pause|resume|promote|abort}`: steer the service's running rollout. */
export const SteerBodySchema = z.object({ pod: DnsLabelSchema.optional() }).strict();
export const SteerParamsSchema = ServiceParamsSchema.extend({ action: z.enum(['pause', 'resume', 'promote', 'abort']) });

/** `POST /v1/apps/{app}/entries/{entry}/rollouts/undo`: back to what ran before the last rollout that ended done, or to what rollout `to` moved it to. */
export const UndoBodySchema = z
  .object({
    pod: DnsLabelSchema.optional(),
    to: z.number().int().min(1).optional(),
  })
  .strict();
export type UndoBody = z.infer<typeof UndoBodySchema>;
