import type { Command } from 'commander';
import type { ResultOf } from '../client/client.js';
import { clientOf, globals } from './options.js';

/**
 * Sends a request whose answer is an NDJSON stream (deploys, jobs, builds, images) and follows it to
 * its `result` event: each event is shown as it comes, or printed as JSON with --json.
 */
export function followToResult<E extends { type: string }>(cmd: Command, path: string, body: unknown, show: (event: E) => void, method = 'POST'): Promise<ResultOf<E>> {
  const json = globals(cmd).json;
  return clientOf(cmd).follow<E>(method, path, body, (event) => {
    if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else show(event);
  });
}
