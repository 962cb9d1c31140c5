import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ErrorBody } from '../contract/errors.js';
import { EruError, ErrorCode } from '../lib/errors.js';

/** Tar archives into and out of a workload's container through the core (`eru cp`); Node only. */
function call(url: string, token: string | undefined, method: string, path: string, body?: Readable): Promise<IncomingMessage> {
  const target = new URL(`${url}${path}`);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(target, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/x-tar' } : {}) },
    });
    request.on('response', resolve);
    request.on('error', (error: NodeJS.ErrnoException) => reject(new EruError(ErrorCode.UNAVAILABLE, `cannot reach the core at ${url}: ${error.code ?? error.message}`)));
    if (body) body.pipe(request);
    else request.end();
  });
}

async function refusal(response: IncomingMessage): Promise<EruError> {
  let text = '';
  for await (const chunk of response) text += String(chunk);
  let body: Partial<ErrorBody> = {};
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not JSON
  }
  return new EruError(body.code ?? ErrorCode.INTERNAL, body.message ?? `the core answered ${response.statusCode}`);
}

const archivePath = (ref: string, path: string): string => `/v1/workloads/${encodeURIComponent(ref)}/archive?path=${encodeURIComponent(path)}`;

/** Writes the tar of `path` into `into`; a refusal, or a copy cut off at the size limit, is thrown. */
export async function downloadArchive(url: string, token: string | undefined, ref: string, path: string, into: Writable): Promise<void> {
  const response = await call(url, token, 'GET', archivePath(ref, path));
  if ((response.statusCode ?? 500) >= 400) throw await refusal(response);
  await pipeline(response, into);
  const cut = response.trailers['x-eru-error'];
  if (cut) throw new EruError(ErrorCode.BODY_TOO_LARGE, cut);
}

export async function uploadArchive(url: string, token: string | undefined, ref: string, path: string, from: Readable): Promise<{ bytes: number }> {
  const response = await call(url, token, 'PUT', archivePath(ref, path), from);
  if ((response.statusCode ?? 500) >= 400) throw await refusal(response);
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return JSON.parse(text) as { bytes: number };
}
