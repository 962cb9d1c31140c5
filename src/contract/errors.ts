import { z } from 'zod';
import { ErrorCode } from '../lib/errors.js';

/**
 * The error-code registry: what HTTP status each code is answered with. Only the API uses it; every
 * other layer throws an EruError with a code and never speaks HTTP. The OpenAPI document lists it.
 */
export const ERROR_STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  INVALID_JSON: 400,
  // The endpoint a user gave does not answer: bad input, not a failure of Eru's.
  ENGINE_UNREACHABLE: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  INSUFFICIENT_CAPACITY: 409,
  NOT_BUILT: 409,
  UNTESTED_VERSION: 409,
  TESTS_FAILED: 422,
  BAD_SIGNATURE: 401,
  LEASE_NOT_FOUND: 409,
  STORE_IN_USE: 409,
  EVENTS_PRUNED: 410,
  PRECONDITION_FAILED: 412,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  FORBIDDEN_BIND: 422,
  RATE_LIMITED: 429,
  BUILD_FAILED: 422,
  INTERNAL: 500,
  LISTEN_FAILED: 500,
  ENGINE_ERROR: 502,
  IMAGE_FAILED: 502,
  DEPLOY_FAILED: 502,
  JOB_FAILED: 502,
  STORE_UNAVAILABLE: 503,
  STORE_CLOSED: 503,
  BUS_UNAVAILABLE: 503,
  UNAVAILABLE: 503,
};

export function statusOf(code: ErrorCode): number {
  return ERROR_STATUS[code];
}

/** An error reply: `{code, message, path?, details?}`. */
export const ErrorBodySchema = z.object({
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]).describe('stable error code; see the registry in the description'),
  message: z.string(),
  path: z.string().optional().describe('the failing field, dotted (e.g. cpus.2)'),
  details: z.unknown().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;
