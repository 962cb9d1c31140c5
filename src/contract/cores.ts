import { z } from 'zod';

/** `GET /v1/cores`: a live core on this store. */
export const CoreViewSchema = z.object({
  id: z.string(),
  /** Where clients reach it (`eru core --advertise`). */
  url: z.string().optional(),
  startedAt: z.string(),
  leader: z.boolean(),
  /** The core that answered. */
  self: z.boolean(),
});
export type CoreView = z.infer<typeof CoreViewSchema>;
