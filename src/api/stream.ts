import type { FastifyReply } from 'fastify';
import { drained } from '../lib/drain.js';

/**
 * Writes an NDJSON reply, one event per line, as the events come, at the client's pace: the next
 * event is taken only once the socket has room, so a slow reader slows the source instead of
 * filling the core's memory. Returns the last event (a long operation's result).
 */
export async function sendNdjson(reply: FastifyReply, events: AsyncIterable<unknown>, headers: Record<string, string> = {}): Promise<unknown> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { ...headers, 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  // The client learns at once that the stream is open, before the first event.
  raw.flushHeaders();
  let open = true;
  raw.on('close', () => (open = false));
  let last: unknown;
  for await (const event of events) {
    last = event;
    // A client that went away reads nothing more; the events still run to their end (a deploy's
    // result is what the audit records), and sources that only serve this client stop with it.
    if (!open) continue;
    if (!raw.write(`${JSON.stringify(event)}\n`) && open) await drained(raw);
  }
  if (open) raw.end();
  return last;
}
