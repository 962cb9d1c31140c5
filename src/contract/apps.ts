import { z } from 'zod';
import { AppEnvSchema, AppSchema, EnvNameSchema, ShaSchema, VersionRefSchema } from '../model/app.js';
import { DnsLabelSchema } from '../model/names.js';
import { EnvSchema } from '../model/workload.js';

/** Apps on the wire: registering versions, builds, env sets. */
export const RegisterBodySchema = z
  .object({
    sha: ShaSchema,
    repo: z.string().min(1).max(2048).refine((r) => !/[\s\0]/.test(r), 'a repository URL or path without spaces'),
    appYaml: z.string().min(1).max(256 * 1024),
  })
  .strict();
export type RegisterBody = z.infer<typeof RegisterBodySchema>;

export const AppParamsSchema = z.object({ app: DnsLabelSchema });
export const AppEnvParamsSchema = AppParamsSchema.extend({ env: EnvNameSchema });

export const AppListItemSchema = AppSchema.extend({ versions: z.number().int() });
export type AppListItem = z.infer<typeof AppListItemSchema>;

/** `POST /v1/apps/{app}/builds`: the version to build, and the pod whose least busy node builds it. */
export const BuildBodySchema = z.object({ version: VersionRefSchema, pod: DnsLabelSchema }).strict();
export type BuildBody = z.infer<typeof BuildBodySchema>;

export const EnvVarsBodySchema = z.object({ vars: EnvSchema }).strict();
export { AppEnvSchema };
