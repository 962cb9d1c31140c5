import { z } from 'zod';
import { DnsLabelSchema } from '../model/names.js';

export { AuditEntrySchema, type AuditEntry } from '../model/audit.js';

/** `GET /v1/audit`: the newest entries first, narrowed by time, app or token. */
export const AuditQuerySchema = z
  .object({
    /** An ISO time, or a duration back from now: 30m, 12h, 7d. */
    since: z
      .string()
      .regex(/^(\d{1,6}[smhd]|\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)$/, 'since is a duration (30m, 12h, 7d) or an ISO time (2026-11-30T12:00:00Z)')
      .optional(),
    app: DnsLabelSchema.optional(),
    token: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
  })
  .strict();
export type AuditQuery = z.infer<typeof AuditQuerySchema>;
