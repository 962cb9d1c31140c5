import { z } from 'zod';

/**
 * An app.yaml's bind, checked where it is used: on the node, by its agent, before the container that
 * binds it is made. The source must be under `{root}/{app}/`, with no symbolic link on the way and
 * every directory above it root's alone (so nothing can swap one between the check and the mount).
 */
export const BindCheckSchema = z.object({
  /** The check's id: the deploy waits for the agent's report under it. */
  id: z.string().min(1).max(128),
  app: z.string(),
  source: z.string().max(4096),
  /** The bind root the source lies in. */
  root: z.string().max(4096),
});
export type BindCheck = z.infer<typeof BindCheckSchema>;

export const BindReportSchema = z.object({
  ok: z.boolean(),
  /** Why not, in the agent's words. */
  error: z.string().max(1000).optional(),
  at: z.string(),
});
export type BindReport = z.infer<typeof BindReportSchema>;
