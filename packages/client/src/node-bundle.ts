import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { EruError, ErrorCode } from './errors.js';
import { ndjson } from './lines.js';
import { openRequest, refusalOf, unreachable, type Core } from './node-request.js';
import type { BuildEvent } from './wire.js';

/**
 * `eru build --dir`: a working tree sent as a git bundle of one commit, built and tested on the core;
 * the build's events as they come, and its result. Node only.
 */
export async function buildBundle(core: Core, app: string, where: { pod: string; sha: string }, bundle: Readable, onEvent: (event: BuildEvent) => void = () => undefined): Promise<Extract<BuildEvent, { type: 'result' }>> {
  const path = `/v1/apps/${encodeURIComponent(app)}/builds/local?pod=${encodeURIComponent(where.pod)}&sha=${encodeURIComponent(where.sha)}`;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = openRequest(core, 'POST', path, { 'content-type': 'application/x-git-bundle' });
    request.on('response', resolve);
    request.on('error', (error: NodeJS.ErrnoException) => reject(unreachable(core, error)));
    bundle.pipe(request);
  });
  if ((response.statusCode ?? 500) >= 400) throw await refusalOf(response, 'the build');
  let result: Extract<BuildEvent, { type: 'result' }> | undefined;
  for await (const event of ndjson<BuildEvent>(response)) {
    onEvent(event);
    if (event.type === 'result') result = event;
  }
  if (!result) throw new EruError(ErrorCode.UNAVAILABLE, 'the core closed the stream before the result');
  return result;
}
