import { z } from 'zod';
import { DnsLabelSchema, NodeNameSchema } from '../model/names.js';
import { WorkloadSchema } from '../model/workload.js';
import { EVENT_TYPES } from './constants.js';
import { WORKLOAD_STATES } from './states.js';
import { ErrorBodySchema } from './errors.js';
import { ApplyStepSchema } from './services.js';
import { BooleanQuery } from './query.js';

/**
 * Everything Eru streams, as NDJSON, one event per line: the progress of long operations (deploy, job,
 * build, base image, image cache), a workload's output, and the bus's changes (`GET /v1/events`).
 * Each long operation ends with one `result` event.
 */

/** A long operation that failed: its result carries the error as the API would answer it. */
const FailedResultSchema = z.object({ type: z.literal('result'), ok: z.literal(false), error: ErrorBodySchema });

/** A line of a container's output. */
export const OutputLineSchema = z.object({ stream: z.enum(['stdout', 'stderr']), line: z.string() });
export type OutputLine = z.infer<typeof OutputLineSchema>;

/** How an image reached a node that lacked it: pulled from the registry, or copied from its build node. */
const ImageMoveFields = {
  from: z.string(),
  how: z.enum(['copied', 'pulled']),
  /** Why it was not the usual way: the pull that failed before the copy. */
  note: z.string().optional(),
};

/** The progress of placing and removing instances: deploys, jobs, scales, replaces and drains stream these. */
const PLACEMENT_PROGRESS = [
  z.object({
    type: z.literal('planned'),
    /**
     * The intent carrying it out, and the store revision that reserved it: a client whose stream is
     * cut follows it on another core from there (its deploy.progress and deploy.result events carry `data.deploy`).
     */
    intent: z.string().optional(),
    revision: z.number().int().optional(),
    workloads: z.array(z.object({ id: z.string(), node: z.string(), cpuset: z.string() })),
    /** EACH: nodes of the pod that get nothing, and why. */
    leftOut: z.record(z.string(), z.string()).optional(),
  }),
  z.object({ type: z.literal('image'), node: z.string(), image: z.string(), ...ImageMoveFields }),
  z.object({ type: z.literal('created'), id: z.string(), node: z.string(), container: z.string() }),
  z.object({ type: z.literal('started'), id: z.string(), node: z.string(), cpuset: z.string(), done: z.number().int(), total: z.number().int() }),
  z.object({ type: z.literal('failed'), id: z.string(), node: z.string(), error: z.string() }),
  z.object({ type: z.literal('rolledback'), removed: z.array(z.string()) }),
  /** An instance removed (scale down, replace). */
  z.object({ type: z.literal('removed'), id: z.string(), node: z.string() }),
  /** A replace's rollout, first thing: a client whose stream is cut follows it by its number on another core. */
  z.object({ type: z.literal('rollout'), number: z.number().int(), pod: z.string() }),
  /** A line for people: what a replace or a scale decided, e.g. no room to surge. */
  z.object({ type: z.literal('note'), message: z.string() }),
  /** A replace's canary: its new instances healthy and waiting (for an operator, or its own window), or promoted. */
  z.object({ type: z.literal('canary'), rollout: z.number().int(), phase: z.enum(['waiting', 'promoted']), instances: z.array(z.string()), message: z.string() }),
  /** A hook ran in a container: after_start after it started, before_stop before it stopped. */
  z.object({ type: z.literal('hook'), id: z.string(), node: z.string(), hook: z.enum(['after_start', 'before_stop']), ok: z.boolean(), exitCode: z.number().int(), output: z.string() }),
  z.object({ type: z.literal('output'), ...OutputLineSchema.shape }),
] as const;

/** Deploys (`POST /v1/workloads`) and jobs (`POST /v1/jobs`). */
export const DeployEventSchema = z.union([
  ...PLACEMENT_PROGRESS,
  z.object({
    type: z.literal('result'),
    ok: z.literal(true),
    workloads: z.array(WorkloadSchema),
    /** Each workload's state as the core recorded it at the end (the agents report from there on). */
    states: z.record(z.string(), z.enum(WORKLOAD_STATES)).optional(),
    /** A job's exit code. */
    exitCode: z.number().int().optional(),
    /** Why nothing was deployed (FILL already filled). */
    note: z.string().optional(),
    /** EACH: nodes of the pod that got nothing, and why. */
    leftOut: z.record(z.string(), z.string()).optional(),
  }),
  FailedResultSchema,
]);
export type DeployEvent = z.infer<typeof DeployEventSchema>;

/** Draining a node (`POST /v1/nodes/{node}/drain`): each kept instance moved off it, then what is left. */
export const DrainEventSchema = z.union([
  ...PLACEMENT_PROGRESS,
  /** An instance of a kept service moved: its replacement is healthy on another node and it is gone. */
  z.object({ type: z.literal('moved'), id: z.string(), to: z.string(), node: z.string() }),
  /** A workload the drain leaves on the node, and why (not kept, a job still running, a move that failed). */
  z.object({ type: z.literal('left'), id: z.string(), reason: z.string() }),
  z.object({
    type: z.literal('result'),
    ok: z.boolean(),
    node: z.string(),
    moved: z.number().int(),
    /** What is still on the node, by workload id, with why. */
    left: z.record(z.string(), z.string()),
    /** Why the drain itself stopped, when it did. */
    error: ErrorBodySchema.optional(),
  }),
]);
export type DrainEvent = z.infer<typeof DrainEventSchema>;

/** Applying a desired state (`PUT /v1/services`): the plan, each step's progress, then what was done and what was not. */
export const ApplyEventSchema = z.union([
  z.object({ type: z.literal('plan'), dryRun: z.boolean(), steps: z.array(ApplyStepSchema) }),
  z.object({ type: z.literal('step'), index: z.number().int(), ...ApplyStepSchema.shape }),
  ...PLACEMENT_PROGRESS,
  z.object({
    type: z.literal('result'),
    ok: z.boolean(),
    dryRun: z.boolean(),
    done: z.array(ApplyStepSchema),
    undone: z.array(ApplyStepSchema),
    /** The step that failed, and why; the rest were not tried. */
    failed: ApplyStepSchema.extend({ error: ErrorBodySchema }).optional(),
    /** Why apply stopped outside any step. */
    error: ErrorBodySchema.optional(),
  }),
]);
export type ApplyEvent = z.infer<typeof ApplyEventSchema>;

/** Builds (`POST /v1/apps/{app}/builds`): the image, then the app.yaml's tests when it has any. */
export const BuildEventSchema = z.union([
  z.object({ type: z.literal('building'), app: z.string(), sha: z.string(), node: z.string(), image: z.string() }),
  z.object({ type: z.literal('output'), line: z.string() }),
  z.object({ type: z.literal('pushed'), image: z.string(), registry: z.string() }),
  /** Its tests started: in a throwaway container placed like any workload. */
  z.object({ type: z.literal('testing'), node: z.string(), workload: z.string(), cpu: z.number(), memory: z.number(), timeout: z.number() }),
  z.object({ type: z.literal('test-output'), line: z.string(), stream: z.enum(['stdout', 'stderr']) }),
  z.object({ type: z.literal('tested'), state: z.enum(['passed', 'failed', 'error']), exitCode: z.number().int().optional(), reason: z.string().optional(), durationMs: z.number().int() }),
  /** `test`: how its tests went; `none` when its app.yaml has none. */
  z.object({ type: z.literal('result'), ok: z.literal(true), image: z.string(), node: z.string(), test: z.enum(['none', 'passed']).optional() }),
  FailedResultSchema,
]);
export type BuildEvent = z.infer<typeof BuildEventSchema>;

/** Base images (`POST /v1/images/base`): a line per node. */
export const BaseImageEventSchema = z.union([
  z.object({ type: z.literal('output'), line: z.string() }),
  z.object({ type: z.literal('node'), node: z.string(), image: z.string(), made: z.boolean(), id: z.string() }),
  z.object({ type: z.literal('node-failed'), node: z.string(), image: z.string(), error: z.string() }),
  z.object({ type: z.literal('result'), ok: z.boolean(), image: z.string(), made: z.number().int(), present: z.number().int(), failed: z.number().int() }),
]);
export type BaseImageEvent = z.infer<typeof BaseImageEventSchema>;

/** Image cache (`POST /v1/images/cache`): a line per node. */
export const ImageCacheEventSchema = z.union([
  z.object({ type: z.literal('node'), node: z.string(), image: z.string(), how: z.enum(['present', 'pulled', 'copied']), from: z.string().optional(), note: z.string().optional() }),
  z.object({ type: z.literal('node-failed'), node: z.string(), image: z.string(), error: z.string() }),
  z.object({ type: z.literal('result'), ok: z.boolean(), image: z.string(), moved: z.number().int(), present: z.number().int(), failed: z.number().int() }),
]);
export type ImageCacheEvent = z.infer<typeof ImageCacheEventSchema>;

/** Every kind of change the bus carries (plain data in ./constants.ts, for light clients). */
export { EVENT_TYPES, type EventType } from './constants.js';


/**
 * One state change on the bus. Subscribers choose channels: everything, one app, or one pod.
 * Autoscalers, load balancers and the dashboard read them; nobody has to poll.
 */
export const EruEventSchema = z.object({
  /** Unique per event, for de-duplication by subscribers. */
  id: z.string(),
  type: z.enum(EVENT_TYPES),
  time: z.string(),
  pod: z.string().optional(),
  app: z.string().optional(),
  node: z.string().optional(),
  workload: z.string().optional(),
  data: z.record(z.string(), z.unknown()).default({}),
  /**
   * Where the event stands in the cluster's one history: the store revision of the write that logged
   * it, and its place among the events of that write. Absent only on an event not yet logged.
   * `GET /v1/events?since=REVISION.INDEX` goes on from just after it.
   */
  revision: z.number().int().positive().optional(),
  index: z.number().int().nonnegative().optional(),
  /**
   * On the bus only: the position of the event published just before this one on the same channel
   * (absent on the first after the relay started). A subscriber that last saw another has missed
   * some, and replays them (bus/resume.ts).
   */
  previous: z.string().optional(),
});
export type EruEvent = z.infer<typeof EruEventSchema>;

/** A place in the event history: after `revision`'s event `index` (an index of -1: before any of that revision's). */
export interface EventPosition {
  revision: number;
  index: number;
}

/** `12345` (everything after revision 12345) or `12345.2` (after that revision's event 2). */
export const EventSinceSchema = z
  .string()
  .regex(/^\d{1,15}(\.\d{1,6})?$/, 'a position REVISION or REVISION.INDEX, as an event\'s revision and index give it')
  .transform((text): EventPosition => {
    const [revision, index] = text.split('.');
    return { revision: Number(revision), index: index === undefined ? Number.MAX_SAFE_INTEGER : Number(index) };
  });

/** A position as `since` takes it: `REVISION.INDEX`, or `REVISION` for after all of that revision's events. */
export function formatPosition(position: EventPosition): string {
  return position.index === Number.MAX_SAFE_INTEGER ? String(position.revision) : `${position.revision}.${position.index}`;
}

/** Whether `a` comes after `b` in the history. */
export function isAfter(a: EventPosition, b: EventPosition): boolean {
  return a.revision > b.revision || (a.revision === b.revision && a.index > b.index);
}

/** `GET /v1/events` filters; a misspelt one is refused. */
export const EventFilterSchema = z
  .object({
    app: DnsLabelSchema.optional(),
    pod: DnsLabelSchema.optional(),
    node: NodeNameSchema.optional(),
    type: z.string().max(64).optional(),
    /** Replay from this position (an event's `revision.index`, or a revision) before going live: nothing missed, nothing twice. */
    since: EventSinceSchema.optional(),
    /** `false`: only what the log holds after `since` (up to now), then the stream ends — a catch-up, not a watch. */
    live: BooleanQuery.optional(),
    /** With live=false: at most this many events (a page of the history); the last one's position is the next page's `since`. */
    limit: z.union([z.number(), z.string().regex(/^\d{1,6}$/, 'a limit is a whole number')]).transform(Number).pipe(z.number().int().min(1).max(100_000)).optional(),
  })
  .strict()
  .superRefine((filter, context) => {
    if (filter.live === false && filter.since === undefined) context.addIssue({ code: 'custom', path: ['live'], message: 'live=false replays from a position: give since' });
    if (filter.limit !== undefined && filter.live !== false) context.addIssue({ code: 'custom', path: ['limit'], message: 'limit pages a replay: give live=false (and since)' });
  });
export type EventFilter = z.infer<typeof EventFilterSchema>;
