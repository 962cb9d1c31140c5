import { z } from 'zod';
import { DnsLabelSchema } from './names.js';
import { EnvSetNameSchema } from './workload.js';

export { APP_UID, APP_USER } from './user.js';

export const AppSchema = z.object({
  name: DnsLabelSchema,
  /** Where the code lives: a git URL or a path the core can read. */
  repo: z.string().min(1).max(2048),
  createdAt: z.string(),
});
export type App = z.infer<typeof AppSchema>;

export const ImageIdSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'an image ID: sha256: and 64 hex digits');

export const ShaSchema = z.string().regex(/^[0-9a-f]{40}$/, 'a full git commit sha (40 hex digits)');
/** A version as people give it: 7 to 40 hex digits of its sha. */
export const VersionRefSchema = z.string().regex(/^[0-9a-f]{7,40}$/, '7 to 40 hex digits of the commit sha');

/** One registered revision of an app: its app.yaml as committed at that sha. */
export const AppVersionSchema = z.object({
  app: DnsLabelSchema,
  sha: ShaSchema,
  repo: z.string(),
  appYaml: z.string(),
  entrypoints: z.array(z.string()),
  /**
   * Set once built: `[REGISTRY/]APP:SHA` (the full sha: a commit ground to a short prefix cannot take
   * its tag), the image's ID (containers are made from it), the node it was built on, and the registry.
   */
  image: z.string().optional(),
  imageId: ImageIdSchema.optional(),
  builtOn: z.string().optional(),
  registry: z.string().optional(),
  createdAt: z.string(),
});
export type AppVersion = z.infer<typeof AppVersionSchema>;

/** An environment's name: the same as a workload's `envSet.name`. */
export const EnvNameSchema = EnvSetNameSchema;
/**
 * An app's env vars for one environment (often secrets): kept here alone. A workload records which set
 * and version it runs with (`envSet`), never the values; they are put in when its container is made.
 */
export const AppEnvSchema = z.object({
  app: DnsLabelSchema,
  env: EnvNameSchema,
  vars: z.record(z.string(), z.string()),
  /** Raised by every change, so a workload says which values it started with. */
  version: z.number().int().min(0).default(0),
});
export type AppEnv = z.infer<typeof AppEnvSchema>;
