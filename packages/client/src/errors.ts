/**
 * One error type for everything a user can get wrong or ask for in vain. It carries a stable code,
 * a message and the failing field's path; which HTTP status a code means is the API's business
 * (contract/errors.ts), so no layer below it speaks HTTP. The CLI prints the message and exits non-zero.
 */
export type ErrorPath = ReadonlyArray<string | number>;

/** Every code Eru answers with. Stable: scripts match on them. */
export const ErrorCode = {
  /** A field or argument is wrong; `path` names it. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_JSON: 'INVALID_JSON',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  /** A request body that did not arrive in time (a slow or stalled client). */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** Too many requests from one token (or failed tries from one address), or too many uploads at once; `details.retryAfter` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  /** The thing exists already, is in use, or changed under the request. */
  CONFLICT: 'CONFLICT',
  /** The scheduler cannot place the request; `details.nodes` says why per node. */
  INSUFFICIENT_CAPACITY: 'INSUFFICIENT_CAPACITY',
  NOT_BUILT: 'NOT_BUILT',
  /** A version whose tests failed or have not passed (yet) was asked to run: `--allow-untested` runs it anyway. */
  UNTESTED_VERSION: 'UNTESTED_VERSION',
  /** A version was built but its app.yaml `test:` failed; `details` has the exit code and the last lines. */
  TESTS_FAILED: 'TESTS_FAILED',
  FORBIDDEN_BIND: 'FORBIDDEN_BIND',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  BUILD_FAILED: 'BUILD_FAILED',
  /** A webhook whose signature or token does not match the app's secret. */
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  ENGINE_UNREACHABLE: 'ENGINE_UNREACHABLE',
  ENGINE_ERROR: 'ENGINE_ERROR',
  IMAGE_FAILED: 'IMAGE_FAILED',
  DEPLOY_FAILED: 'DEPLOY_FAILED',
  JOB_FAILED: 'JOB_FAILED',
  LEASE_NOT_FOUND: 'LEASE_NOT_FOUND',
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  STORE_CLOSED: 'STORE_CLOSED',
  STORE_IN_USE: 'STORE_IN_USE',
  BUS_UNAVAILABLE: 'BUS_UNAVAILABLE',
  /** A replay asked to start before the oldest event still kept; `details.floor` is where the log starts now. */
  EVENTS_PRUNED: 'EVENTS_PRUNED',
  /** The core cannot be reached (said by the client). */
  UNAVAILABLE: 'UNAVAILABLE',
  LISTEN_FAILED: 'LISTEN_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface EruErrorOptions {
  path?: ErrorPath;
  details?: unknown;
}

export class EruError extends Error {
  readonly code: ErrorCode;
  readonly path?: ErrorPath;
  readonly details?: unknown;

  constructor(code: ErrorCode, message: string, options: EruErrorOptions = {}) {
    super(message);
    this.name = 'EruError';
    this.code = code;
    this.path = options.path;
    this.details = options.details;
  }

  /** The same error with its path under `prefix`, for callers that embed a request in a larger document. */
  under(prefix: ErrorPath): EruError {
    const path = [...prefix, ...(this.path ?? [])];
    const old = this.path && this.path.length > 0 ? `${pathText(this.path)}: ` : '';
    const message = `${pathText(path)}: ${old ? this.message.slice(old.length) : this.message}`;
    return new EruError(this.code, message, { path, details: this.details });
  }

  toJSON(): { code: ErrorCode; message: string; path?: string; details?: unknown } {
    return {
      code: this.code,
      message: this.message,
      ...(this.path && this.path.length > 0 ? { path: pathText(this.path) } : {}),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function pathText(path: ErrorPath): string {
  return path.map(String).join('.');
}
