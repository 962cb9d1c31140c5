/** Plain values of the wire that clients need at run time (no schemas, so a client loads nothing heavy). */

/** The `Upgrade` header value that attaches to an exec: the client package and the API agree on it there. */
export { CONTINUE_HEADER, EVENTS_FROM_HEADER, EXEC_UPGRADE } from 'eru-client';

/** Every kind of change the bus carries. */
export const EVENT_TYPES = [
  'app.registered',
  /** A push to the branch an app follows reached its webhook (core/pipeline/). */
  'version.pushed',
  'version.built',
  'version.tested',
  /** A passing version rolled out to the app's release service. */
  'version.released',
  'pod.created',
  'pod.removed',
  'pod.updated',
  'node.added',
  'node.updated',
  'node.removed',
  'node.down',
  'node.up',
  'workload.created',
  'workload.removed',
  'workload.status',
  'job.started',
  'job.finished',
  'deploy.progress',
  'deploy.result',
  'network.created',
  'network.removed',
  'endpoints.changed',
  'activity.started',
  'activity.ended',
  'service.kept',
  'node.drained',
  'check.drift',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Whether an event passes `GET /v1/events` filters: each given one must match; a type matches itself
 * and, as a family, every type under it (`workload` → `workload.status`…).
 */
export function eventMatches(filter: { app?: string; pod?: string; node?: string; type?: string }, event: { app?: string; pod?: string; node?: string; type: string }): boolean {
  return (
    (filter.app === undefined || event.app === filter.app) &&
    (filter.pod === undefined || event.pod === filter.pod) &&
    (filter.node === undefined || event.node === filter.node) &&
    (filter.type === undefined || event.type === filter.type || event.type.startsWith(`${filter.type}.`))
  );
}

/** Requests a second per token a core takes unless told otherwise (`eru core --rate-limit`); bursts of ten times that. */
export const DEFAULT_RATE_LIMIT = 100;
