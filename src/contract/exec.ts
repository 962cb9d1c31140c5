import { z } from 'zod';
import { NodeNameSchema } from '../model/names.js';
import { EnvSchema } from '../model/workload.js';

/** `POST /v1/workloads/{id}/exec`: what to run in the container, and how to attach. */
export const ExecBodySchema = z
  .object({
    cmd: z.array(z.string().max(32768)).min(1).max(256),
    tty: z.boolean().default(false),
    stdin: z.boolean().default(false),
    env: EnvSchema.optional(),
    user: z.string().max(256).regex(/^[\w.:-]*$/, 'a user is NAME, UID or UID:GID').optional(),
    workdir: z.string().max(1024).regex(/^\//, 'an absolute path').optional(),
  })
  .strict();
export type ExecBody = z.infer<typeof ExecBodySchema>;

/**
 * An exec made: attach to it with `GET /v1/nodes/{node}/exec/{exec}/attach` and `Connection: Upgrade`,
 * `Upgrade: eru-exec` (101, then the raw stream: bytes with a TTY, Docker's multiplexed frames without).
 */
export const ExecViewSchema = z.object({ workload: z.string(), node: NodeNameSchema, exec: z.string(), tty: z.boolean(), stdin: z.boolean() });
export type ExecView = z.infer<typeof ExecViewSchema>;

export const ExecParamsSchema = z.object({ node: NodeNameSchema, exec: z.string().regex(/^[0-9a-f]{64}$/, 'an exec id') });
export const ResizeTtySchema = z.object({ h: z.number().int().min(1).max(1000), w: z.number().int().min(1).max(1000) }).strict();
export const ExecStateSchema = z.object({ running: z.boolean(), exitCode: z.number().int().nullable() });
export type ExecState = z.infer<typeof ExecStateSchema>;
export type ResizeTty = z.infer<typeof ResizeTtySchema>;
