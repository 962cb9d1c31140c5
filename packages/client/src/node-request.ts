import type { ErrorBody } from './wire.js';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { EruError, ErrorCode } from './errors.js';
import { explainTransportFailure, type ClientTls } from './transport.js';
import { tlsOptions } from './node-transport.js';

/**
 * The one raw request of the Node client, for what JSON calls cannot carry: an exec's upgraded
 * socket, a tar archive in or out (node-exec.ts, node-archive.ts). It knows the core's URL and token,
 * and how to read a refusal.
 */
export interface Core {
  url: string;
  token?: string | undefined;
  /** What to trust and show over HTTPS. */
  tls?: ClientTls | undefined;
}

export function openRequest(core: Core, method: string, path: string, headers: Record<string, string> = {}): ClientRequest {
  const target = new URL(`${core.url}${path}`);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return send(target, { method, ...(target.protocol === 'https:' ? tlsOptions(core.tls ?? {}) : {}), headers: { ...headers, ...(core.token ? { authorization: `Bearer ${core.token}` } : {}) } });
}

/** A network failure before any answer, as the error a user reads. */
export function unreachable(core: Core, error: NodeJS.ErrnoException): EruError {
  return new EruError(ErrorCode.UNAVAILABLE, `cannot reach the core at ${core.url}: ${explainTransportFailure(error.code ?? error.message, core.url, core.tls)}`);
}

/** A 4xx/5xx answer as an EruError: the core's code and message when it sent JSON. */
export async function refusalOf(response: IncomingMessage, what = 'the request'): Promise<EruError> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  let body: Partial<ErrorBody> = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON
  }
  return new EruError(body.code ?? ErrorCode.INTERNAL, body.message ?? `the core answered ${response.statusCode} to ${what}`);
}
