import { z } from 'zod';
import { EruEventSchema } from '../../contract/events.js';

/** Events one core logged in one write, in the order it published them; the write's revision orders the batch. */
export const EventBatchSchema = z.object({
  /** When the batch was written (ms since the epoch): pruning goes by it. */
  at: z.number(),
  events: z.array(EruEventSchema),
});
export type EventBatch = z.infer<typeof EventBatchSchema>;

/** A batch as read back: its key and the revision that wrote it. */
export type LoggedBatch = EventBatch & { key: string; revision: number };

export const EventPositionSchema = z.object({ revision: z.number().int(), index: z.number().int() });
