/**
 * One error type for everything a user can get wrong or ask for in vain. The API turns it into
 * `{code, message, path?, details?}` with `status`; the CLI prints the message and exits non-zero.
 */
export type ErrorPath = ReadonlyArray<string | number>;

export interface EruErrorOptions {
  path?: ErrorPath;
  details?: unknown;
  status?: number;
}

export class EruError extends Error {
  readonly code: string;
  readonly path?: ErrorPath;
  readonly details?: unknown;
  readonly status: number;

  constructor(code: string, message: string, options: EruErrorOptions = {}) {
    super(message);
    this.name = 'EruError';
    this.code = code;
    this.path = options.path;
    this.details = options.details;
    this.status = options.status ?? 400;
  }

  /** The same error with its path under `prefix`, for callers that embed a request in a larger document. */
  under(prefix: ErrorPath): EruError {
    const path = [...prefix, ...(this.path ?? [])];
    const old = this.path && this.path.length > 0 ? `${pathText(this.path)}: ` : '';
    const message = `${pathText(path)}: ${old ? this.message.slice(old.length) : this.message}`;
    return new EruError(this.code, message, {
      path,
      details: this.details,
      status: this.status,
    });
  }

  toJSON(): { code: string; message: string; path?: string; details?: unknown } {
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

export function invalid(path: ErrorPath, message: string): EruError {
  const where = path.length > 0 ? `${pathText(path)}: ` : '';
  return new EruError('INVALID_ARGUMENT', `${where}${message}`, { path, status: 400 });
}

export function notFound(what: string, name: string): EruError {
  return new EruError('NOT_FOUND', `${what} ${name} not found`, { status: 404 });
}

export function conflict(message: string, details?: unknown): EruError {
  return new EruError('CONFLICT', message, { status: 409, details });
}
