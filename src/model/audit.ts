import { z } from 'zod';
import { SCOPES } from './token.js';

/** How many audit entries the store keeps; the oldest beyond go (core/audit/). */
export const AUDIT_KEPT = 10_000;

/**
 * One change asked of the core (or a copy out of a container), as the audit keeps it: who (the
 * token's name and scope), what (the route and what it names), when, and how it ended. A refusal for
 * a known token is kept too; a request without a valid token is only in the core's log.
 */
export const AuditEntrySchema = z.object({
  /** Sorts by time. */
  id: z.string(),
  time: z.string(),
  token: z.string(),
  scope: z.enum(SCOPES),
  /** The method and route, e.g. `POST /v1/pods/:pod/nodes`. */
  action: z.string(),
  /** What the route names: its path parameters, and the app, pod, entry or version of its body. */
  target: z.record(z.string(), z.string()),
  app: z.string().optional(),
  /** ok; refused (4xx: not allowed, bad input, no room); failed (the core or an engine could not). */
  outcome: z.enum(['ok', 'refused', 'failed']),
  status: z.number().int(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  durationMs: z.number().int().min(0),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
