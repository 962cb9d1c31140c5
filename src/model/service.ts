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
  /** How many instances it should have: set by deploy (what ran plus what it added), scale and apply; kept by the keeper. Absent on records from before. */
  count: z.number().int().min(0).optional(),
  /** The leader's keeper holds it at `count` (replaces lost instances, removes surplus). */
  keep: z.boolean().default(true),
  /** Seconds an instance's node may be down before the keeper replaces the instance elsewhere. */
  lostAfter: z.number().int().min(0).max(86400).default(60),
  /** Lost instances the keeper replaced: when their node comes back they are the surplus that goes first. */
  replaced: z.array(z.string()).default([]),
  /** Fixed addresses (network → address) of instances forgotten with a node declared gone: their replacements get them. */
  pendingFixed: z.array(z.record(z.string(), z.string())).default([]),
  updatedAt: z.string(),
});
export type Service = z.infer<typeof ServiceSchema>;

/** A service's name in maps and messages: `{pod}/{app}/{entry}`. */
export function serviceKey(service: Pick<Service, 'pod' | 'app' | 'entry'>): string {
  return `${service.pod}/${service.app}/${service.entry}`;
}

/** The one change under way to a service, by the core doing it: a scale, a replace, the keeper, a drain. */
export const ServiceLockSchema = z.object({ owner: z.string(), what: z.string(), since: z.string() });
export type ServiceLock = z.infer<typeof ServiceLockSchema>;

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
