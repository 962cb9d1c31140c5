import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EruError, ErrorCode } from './errors.js';
import { openRequest, refusalOf, unreachable, type Core } from './node-request.js';

/** Tar archives into and out of a workload's container through the core (`eru cp`); Node only. */
function call(core: Core, method: string, path: string, body?: Readable): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = openRequest(core, method, path, body ? { 'content-type': 'application/x-tar' } : {});
    request.on('response', resolve);
    request.on('error', (error: NodeJS.ErrnoException) => reject(unreachable(core, error)));
    if (body) body.pipe(request);
    else request.end();
  });
}

const archivePath = (ref: string, path: string): string => `/v1/workloads/${encodeURIComponent(ref)}/archive?path=${encodeURIComponent(path)}`;

/** Writes the tar of `path` into `into`; a refusal, or a copy cut off at the size limit, is thrown. */
export async function downloadArchive(core: Core, ref: string, path: string, into: Writable): Promise<void> {
  const response = await call(core, 'GET', archivePath(ref, path));
  if ((response.statusCode ?? 500) >= 400) throw await refusalOf(response);
  await pipeline(response, into);
  const cut = response.trailers['x-eru-error'];
  if (cut) throw new EruError(ErrorCode.BODY_TOO_LARGE, cut);
}

export async function uploadArchive(core: Core, ref: string, path: string, from: Readable): Promise<{ bytes: number }> {
  const response = await call(core, 'PUT', archivePath(ref, path), from);
  if ((response.statusCode ?? 500) >= 400) throw await refusalOf(response);
  let text = '';
  for await (const chunk of response) text += String(chunk);
  return JSON.parse(text) as { bytes: number };
}
