import { z } from 'zod';
import { ShaSchema } from './app.js';
import { DnsLabelSchema } from './names.js';
import { EntrypointNameSchema, WorkloadSpecSchema } from './workload.js';

/**
 * A service: what a deploy of one app/entrypoint into one pod asked for, kept so that scaling adds
 * instances with the spec the running ones have, a rolling replace knows what to go back to, and
 * `eru apply` can compare. Written by every deploy, replace and scale of it.
 */
export const ServiceSchema = z.object({
  pod: DnsLabelSchema,
  app: DnsLabelSchema,
  entry: EntrypointNameSchema,
  /** The deploy request as given (without count and fixed addresses), to resolve again for a new version. */
  request: z.record(z.string(), z.unknown()),
  /** What the instances run: the request resolved (image, command, env, health check...). */
  spec: WorkloadSpecSchema,
  /** The full sha of the version, for deploys by version. */
  version: ShaSchema.optional(),
  updatedAt: z.string(),
});
export type Service = z.infer<typeof ServiceSchema>;

/** A rolling replace under way, kept in its intent so that any core can roll it back if its core dies. */
export const ReplaceStateSchema = z.object({
  pod: DnsLabelSchema,
  app: DnsLabelSchema,
  entry: EntrypointNameSchema,
  /** The service as it was: what the old instances run. */
  from: ServiceSchema,
  /** The instances when the replace began. */
  oldIds: z.array(z.string()),
  /** Old instances removed so far. */
  removedOld: z.array(z.string()).default([]),
  /** New instances recorded so far. */
  newIds: z.array(z.string()).default([]),
});
export type ReplaceState = z.infer<typeof ReplaceStateSchema>;
