import { z } from 'zod';
import { DnsLabelSchema } from './names.js';
import { EntrypointNameSchema, EnvSetNameSchema } from './workload.js';

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

/**
 * A version's run of its app.yaml `test:` (core/pipeline/test.ts): `running` while its container runs;
 * `passed` or `failed` by the exit code; `error` when it could not run (not placed, its core died).
 */
export const VersionTestSchema = z.object({
  state: z.enum(['running', 'passed', 'failed', 'error']),
  startedAt: z.string(),
  /** The core running it: a `running` test whose core is gone is an `error`. */
  owner: z.string().optional(),
  node: z.string().optional(),
  exitCode: z.number().int().optional(),
  /** Why, besides an exit code: a timeout, a container that could not be placed. */
  reason: z.string().optional(),
  durationMs: z.number().int().min(0).optional(),
  /** The last lines of its output (at most 50). */
  tail: z.array(z.string()).default([]),
});
export type VersionTest = z.infer<typeof VersionTestSchema>;

/** Where a version stands with its tests: `none` when its app.yaml has no `test:`. */
export const TEST_STATES = ['none', 'untested', 'running', 'passed', 'failed', 'error'] as const;
export type TestState = (typeof TEST_STATES)[number];

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
  /** When the image was built (the app's next build goes to the same node, for its build cache). */
  builtAt: z.string().optional(),
  registry: z.string().optional(),
  /** The last run of its tests. */
  test: VersionTestSchema.optional(),
  /** Built from a working tree (`eru build --dir`), not a commit: never released by itself. Its sha is the tree's. */
  local: z.boolean().optional(),
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

/** A git branch name as a push names it (refs/heads/ left out). */
export const BranchSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9._/-]+$/, 'a branch is letters, digits and . _ / -')
  .refine((b) => !b.startsWith('-') && !b.startsWith('/') && !b.endsWith('/') && !b.split('/').includes('..'), 'not a git branch name');

/** Where a version that passed its tests is rolled out by itself: a service (pod and entrypoint) of the app. */
export const ReleaseSchema = z
  .object({
    pod: DnsLabelSchema,
    entry: EntrypointNameSchema,
    /** Only while the service runs with this env set: a release never moves a service that runs another environment. */
    env: EnvSetNameSchema.optional(),
    /** A canary gate: this many new instances first, judged for `canaryAuto` seconds, then promoted or aborted by themselves. */
    canary: z.number().int().min(1).max(1000).optional(),
    canaryAuto: z.number().int().min(1).max(86400).optional(),
  })
  .strict()
  .refine((r) => (r.canary === undefined) === (r.canaryAuto === undefined), { message: 'a release is unattended: give canary and canaryAuto together (the canary is judged by itself)', path: ['canary'] });
export type Release = z.infer<typeof ReleaseSchema>;

/**
 * An app's pipeline (core/pipeline/): pushes to `branch` that reach its webhook, signed with `secret`,
 * are fetched from the app's repository, registered, built and tested in `pod`, and with `release`
 * rolled out. The secret is shown to the app's deployers and admins only.
 */
export const PipelineSchema = z.object({
  app: DnsLabelSchema,
  branch: BranchSchema,
  pod: DnsLabelSchema,
  secret: z.string().min(32).max(256),
  release: ReleaseSchema.optional(),
  updatedAt: z.string(),
});
export type Pipeline = z.infer<typeof PipelineSchema>;

/** A push received by an app's webhook, kept by its sha: the same commit delivered twice is built once. */
export const PushSchema = z.object({
  app: DnsLabelSchema,
  sha: ShaSchema,
  branch: z.string(),
  provider: z.enum(['github', 'gitlab']),
  delivery: z.string().optional(),
  pusher: z.string().optional(),
  receivedAt: z.string(),
  /** The core carrying it out. */
  owner: z.string(),
});
export type Push = z.infer<typeof PushSchema>;
