import { z } from 'zod';
import { AppEnvSchema, AppSchema, AppVersionSchema, EnvNameSchema, ShaSchema, TEST_STATES, VersionRefSchema } from '../model/app.js';
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

/** A version as listed: with where it stands with its tests (`none`: its app.yaml has no `test:`). */
export const AppVersionViewSchema = AppVersionSchema.extend({ testState: z.enum(TEST_STATES) });
export type AppVersionView = z.infer<typeof AppVersionViewSchema>;

export const AppListItemSchema = AppSchema.extend({ versions: z.number().int() });
export type AppListItem = z.infer<typeof AppListItemSchema>;

/** `POST /v1/apps/{app}/builds`: the version to build, and the pod whose least busy node builds it. */
export const BuildBodySchema = z.object({ version: VersionRefSchema, pod: DnsLabelSchema }).strict();
export type BuildBody = z.infer<typeof BuildBodySchema>;

export const EnvVarsBodySchema = z.object({ vars: EnvSchema }).strict();
export { AppEnvSchema };

/** `GET /v1/apps/{app}/volumes`: each shared volume, its quota and use (as the freshest agent report has it), who uses it, and each node's state. */
export const VolumeViewSchema = z.object({
  app: z.string(),
  name: z.string(),
  size: z.number().int().optional(),
  createdAt: z.string(),
  removing: z.string().optional(),
  /** Bytes in the volume and its hard quota, as MooseFS counts them, and when that was measured. */
  used: z.number().int().optional(),
  quota: z.number().int().optional(),
  measuredAt: z.string().optional(),
  /** Workloads (and deploys under way) that mount it. */
  users: z.array(z.string()),
  nodes: z.array(z.object({ node: z.string(), dir: z.string().optional(), ready: z.boolean(), error: z.string().optional() })),
});
export type VolumeView = z.infer<typeof VolumeViewSchema>;
export const VolumeParamsSchema = AppParamsSchema.extend({ name: DnsLabelSchema });

/** `DELETE /v1/apps/{app}/volumes/{name}`: removed, or still being removed by the agents when the wait ended. */
export const VolumeRemovalSchema = z.object({ removed: z.boolean(), message: z.string() });
export type VolumeRemoval = z.infer<typeof VolumeRemovalSchema>;
