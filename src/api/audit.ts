import { statusOf } from '../contract/errors.js';
import type { Audit, Principal } from '../core/index.js';
import { EruError, ErrorCode } from '../lib/errors.js';

/** What a route call was, as far as it got: who, which route, what it named. */
export interface AuditedCall {
  principal: Principal;
  action: string;
  params: Record<string, unknown>;
  body?: unknown;
  app?: string;
  started: number;
}

/** The fields of a body worth naming in the audit (never env values, never app.yaml text). */
const NAMED = ['app', 'pod', 'entry', 'version', 'name', 'node', 'scope', 'image', 'count'] as const;

/**
 * Records one call with how it ended: `result` is the handler's answer (for a stream, its last event,
 * whose `ok` and `error` say how the operation ended), or the error it threw.
 */
export function recordCall(audit: Audit, call: AuditedCall, ending: { status: number; result?: unknown } | { error: unknown }): void {
  const target: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.params)) target[key] = String(value);
  if (call.body && typeof call.body === 'object') {
    for (const key of NAMED) {
      const value = (call.body as Record<string, unknown>)[key];
      if (typeof value === 'string' || typeof value === 'number') target[key] = String(value);
    }
  }
  const app = call.app ?? target.app;
  let status: number;
  let error: { code: string; message: string } | undefined;
  if ('error' in ending) {
    const known = ending.error instanceof EruError ? ending.error : new EruError(ErrorCode.INTERNAL, (ending.error as Error)?.message ?? String(ending.error));
    const fastifyStatus = (ending.error as { statusCode?: number }).statusCode;
    status = ending.error instanceof EruError ? statusOf(known.code) : (fastifyStatus ?? 500);
    error = { code: known.code, message: known.message.slice(0, 500) };
  } else {
    const streamed = ending.result as { type?: string; ok?: boolean; error?: { code: ErrorCode; message: string } } | undefined;
    status = ending.status;
    if (streamed?.type === 'result' && streamed.ok === false && streamed.error) {
      status = statusOf(streamed.error.code) ?? 500;
      error = { code: streamed.error.code, message: streamed.error.message.slice(0, 500) };
    }
  }
  void audit.record({
    token: call.principal.name,
    scope: call.principal.scope,
    action: call.action,
    target,
    ...(app ? { app } : {}),
    outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed',
    status,
    ...(error ? { error } : {}),
    durationMs: Math.round(performance.now() - call.started),
  });
}
