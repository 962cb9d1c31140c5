import type { Command } from 'commander';
import { EruError } from '../lib/errors.js';
import { clientOf, globals } from './options.js';

/**
 * Sends a request whose answer is an NDJSON stream (deploys, jobs, builds, images) and follows it to
 * its `result` event: each event is shown as it comes, or printed as JSON with --json.
 */
export async function followToResult<E extends { type: string }>(cmd: Command, path: string, body: unknown, show: (event: E) => void): Promise<Extract<E, { type: 'result' }>> {
  const json = globals(cmd).json;
  let result: Extract<E, { type: 'result' }> | undefined;
  for await (const event of clientOf(cmd).stream<E>('POST', path, body)) {
    if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else show(event);
    if (event.type === 'result') result = event as Extract<E, { type: 'result' }>;
  }
  if (!result) throw new EruError('UNAVAILABLE', 'the core closed the stream before the result');
  return result;
}
