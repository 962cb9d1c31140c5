import { z } from 'zod';

/** A running core as it announces itself in the store (bound to its lease): clients learn the others from it. */
export const CoreInfoSchema = z.object({
  startedAt: z.string(),
  pid: z.number().int(),
  /** Where clients reach it (`eru core --advertise`); absent from a core that did not say. */
  url: z.string().optional(),
});
export type CoreInfo = z.infer<typeof CoreInfoSchema>;
