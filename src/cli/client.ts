import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EruError } from '../lib/errors.js';

/**
 * How client commands reach the core: `--url`/ERU_URL and `--token`/ERU_TOKEN, falling back to the
 * file the set-up script writes (~/.eru/config.json), then to the default local core.
 */
export const DEFAULT_URL = 'http://127.0.0.1:5001';

export interface ClientOptions {
  url?: string;
  token?: string;
}

export function eruHome(): string {
  return process.env.ERU_HOME ?? join(homedir(), '.eru');
}

function savedConfig(): ClientOptions {
  try {
    return JSON.parse(readFileSync(join(eruHome(), 'config.json'), 'utf8')) as ClientOptions;
  } catch {
    return {};
  }
}

export class CoreClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(options: ClientOptions = {}) {
    const saved = savedConfig();
    this.url = (options.url ?? process.env.ERU_URL ?? saved.url ?? DEFAULT_URL).replace(/\/+$/, '');
    this.token = options.token ?? process.env.ERU_TOKEN ?? saved.token;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body);
    const text = await response.text();
    const data = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) throw apiError(response.status, data);
    return data as T;
  }

  /** A streamed reply: one JSON event per line, handed over as they arrive. */
  async *stream<T>(method: string, path: string, body?: unknown, onOpen?: () => void): AsyncGenerator<T> {
    const response = await this.send(method, path, body);
    if (!response.ok) throw apiError(response.status, await response.json().catch(() => undefined));
    onOpen?.();
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (buffer.trim()) yield JSON.parse(buffer) as T;
  }

  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    try {
      return await fetch(`${this.url}${path}`, {
        method,
        headers: {
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new EruError('UNAVAILABLE', `cannot reach the core at ${this.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
  }
}

function apiError(status: number, data: unknown): EruError {
  const body = (data ?? {}) as { code?: string; message?: string; path?: string; details?: unknown };
  return new EruError(body.code ?? `HTTP_${status}`, body.message ?? `the core answered ${status}`, {
    status,
    details: body.details,
    ...(body.path ? { path: body.path.split('.') } : {}),
  });
}
