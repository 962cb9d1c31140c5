import type { Command } from 'commander';
import type { EruClient, ResultOf } from 'eru-client';
import { clientOf, globals } from './options.js';

/** A long operation started through the SDK: given the client and where its events go, it returns the result. */
export type Start<E extends { type: string }> = (client: EruClient, onEvent: (event: E) => void) => Promise<ResultOf<E>>;

/**
 * A long operation whose answer is an NDJSON stream (deploys, jobs, builds, images, drains), followed
 * to its `result` event: each event is shown as it comes, or printed as JSON with --json.
 */
export function followToResult<E extends { type: string }>(cmd: Command, start: Start<E>, show: (event: E) => void): Promise<ResultOf<E>> {
  const json = globals(cmd).json;
  return start(clientOf(cmd), (event) => {
    if (json) process.stdout.write(`${JSON.stringify(event)}\n`);
    else show(event);
  });
}
