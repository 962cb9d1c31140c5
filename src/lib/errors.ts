// The API's error vocabulary lives with the client package (the wire both sides speak); the helpers the core throws with are here.
import { EruError, ErrorCode, pathText, type ErrorPath } from 'eru-client';

export { EruError, ErrorCode, pathText, type ErrorPath, type EruErrorOptions } from 'eru-client';

export function invalid(path: ErrorPath, message: string): EruError {
  const where = path.length > 0 ? `${pathText(path)}: ` : '';
  return new EruError(ErrorCode.INVALID_ARGUMENT, `${where}${message}`, { path });
}

export function notFound(what: string, name: string): EruError {
  return new EruError(ErrorCode.NOT_FOUND, `${what} ${name} not found`);
}

export function conflict(message: string, details?: unknown): EruError {
  return new EruError(ErrorCode.CONFLICT, message, { details });
}

/** A bug, not bad input: the API answers 500 and logs it. */
export function internal(message: string): EruError {
  return new EruError(ErrorCode.INTERNAL, message);
}
