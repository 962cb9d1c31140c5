import { z } from 'zod';

/** What kinds of long operation on an app are kept as activities. */
export const ACTIVITY_KINDS = ['build', 'deploy', 'scale', 'replace', 'keep', 'drain', 'push'] as const;

/**
 * One long operation on an app (a build, a deploy, a scale, a replace), kept so that the dashboard
 * and `GET /v1/apps/{app}/activities` show what happened after its stream is gone: when, by what
 * request, how it ended, and its last lines of output or progress.
 */
export const ActivitySchema = z.object({
  id: z.string(),
  kind: z.enum(ACTIVITY_KINDS),
  app: z.string(),
  pod: z.string().optional(),
  entry: z.string().optional(),
  version: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  /** Absent while under way (or when its core died before it ended). */
  ok: z.boolean().optional(),
  /** The error, or a one-line summary of the result. */
  summary: z.string().default(''),
  /** Build output or progress, one line per event, the last ACTIVITY_LINES of them. */
  lines: z.array(z.string()).default([]),
  /** Lines dropped from the start to keep the record small. */
  dropped: z.number().int().default(0),
});
export type Activity = z.infer<typeof ActivitySchema>;

export const ACTIVITY_LINES = 400;
/** Activities kept per app; older ones are deleted as new ones start. */
export const ACTIVITIES_KEPT = 30;
