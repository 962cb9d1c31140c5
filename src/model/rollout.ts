import { z } from 'zod';
import { ShaSchema } from './app.js';
import { DnsLabelSchema } from './names.js';
import { EntrypointNameSchema } from './workload.js';

/** What a service runs, as a rollout moves it: a version of the app, or an image. */
export const RunsSchema = z.union([z.object({ version: ShaSchema }).strict(), z.object({ image: z.string() }).strict()]);
export type Runs = z.infer<typeof RunsSchema>;

/** Where a canary stands: its first `count` new instances starting, then waiting (to be promoted or aborted, or judged by itself over `autoSeconds`), then promoted. */
export const CanarySchema = z.object({
  count: z.number().int().min(1),
  /** Promote by itself after this long if the new instances did no worse than the old; abort otherwise. */
  autoSeconds: z.number().min(1).optional(),
  phase: z.enum(['starting', 'waiting', 'promoted']),
  /** Why it was promoted (who, or what the comparison found). */
  verdict: z.string().optional(),
});
export type Canary = z.infer<typeof CanarySchema>;

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
  /** `aborted`: an operator (`eru rollout abort`) or the canary's own comparison stopped it, and it was rolled back. */
  outcome: z.enum(['running', 'done', 'rolled back', 'failed', 'aborted']),
  /** Why it did not end done. */
  message: z.string().optional(),
  /** Set by `eru rollout pause` (until `resume`): the batch under way finishes, no other starts. */
  paused: z.boolean().optional(),
  /** A canary (`eru replace --canary N`): the rollout stops after `count` new instances are healthy, until promoted or aborted. */
  canary: CanarySchema.optional(),
  /** Asked by `eru rollout abort`, carried out by the core doing the replace. */
  abort: z.string().optional(),
});
export type Rollout = z.infer<typeof RolloutSchema>;

/** A `Runs` as people name it: the version's short sha, or the image. */
export function runsName(runs: Runs): string {
  return 'version' in runs ? runs.version.slice(0, 7) : runs.image;
}
