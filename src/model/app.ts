import { z } from 'zod';
import { DnsLabelSchema } from './names.js';

export const AppSchema = z.object({
  name: DnsLabelSchema,
  /** Where the code lives: a git URL or a path the core can read. */
  repo: z.string().min(1).max(2048),
  createdAt: z.string(),
});
export type App = z.infer<typeof AppSchema>;

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
  /** Set once built: `[REGISTRY/]APP:SHA7`, the node it was built on, and the registry it was pushed to. */
  image: z.string().optional(),
  builtOn: z.string().optional(),
  registry: z.string().optional(),
  createdAt: z.string(),
});
export type AppVersion = z.infer<typeof AppVersionSchema>;

export const EnvNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'an environment name is lowercase letters, digits and -');
export const AppEnvSchema = z.object({ app: DnsLabelSchema, env: EnvNameSchema, vars: z.record(z.string(), z.string()) });
export type AppEnv = z.infer<typeof AppEnvSchema>;
