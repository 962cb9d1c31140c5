import { z } from 'zod';
import { ReplaceStateSchema } from './service.js';
import { WorkloadSchema } from './workload.js';

/**
 * A change under way, kept in the store until it is done so that any core can finish or undo it
 * when the core that began it dies: the containers it may have made (by name) and what it reserved.
 */
export const IntentSchema = z.object({
  id: z.string(),
  /** A job is a deploy of one whose container is removed when it exits: it lives in its intent alone. */
  kind: z.enum(['deploy', 'job', 'remove', 'replace']),
  /** The core process working on it; its liveness key vanishes when it dies. */
  owner: z.string(),
  createdAt: z.string(),
  workloads: z.array(WorkloadSchema),
  /** A rolling replace's progress (kind replace): its own deploys and removals have intents of their own. */
  replace: ReplaceStateSchema.optional(),
});
export type Intent = z.infer<typeof IntentSchema>;

