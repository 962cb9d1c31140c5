import { z } from 'zod';
import { ShaSchema } from './app.js';
import { DnsLabelSchema } from './names.js';
import { EntrypointNameSchema } from './workload.js';

/** What a service runs, as a rollout moves it: a version of the app, or an image. */
export const RunsSchema = z.union([z.object({ version: ShaSchema }).strict(), z.object({ image: z.string() }).strict()]);
export type Runs = z.infer<typeof RunsSchema>;

/**
 * One rolling replace of a service, numbered from 1 per service and kept (`eru rollout ls`): what it
 * moved from and to, and how it ended — so `eru rollout undo` knows what ran before.
 */
export const RolloutSchema = z.object({
  number: z.number().int().min(1),
  pod: DnsLabelSchema,
  app: DnsLabelSchema,
  entry: EntrypointNameSchema,
  from: RunsSchema,
  to: RunsSchema,
  startedAt: z.string(),
  endedAt: z.string().optional(),
  outcome: z.enum(['running', 'done', 'rolled back', 'failed']),
  /** Why it did not end done. */
  message: z.string().optional(),
});
export type Rollout = z.infer<typeof RolloutSchema>;

/** A `Runs` as people name it: the version's short sha, or the image. */
export function runsName(runs: Runs): string {
  return 'version' in runs ? runs.version.slice(0, 7) : runs.image;
}
