import type { FastifyReply } from 'fastify';

/** Writes an NDJSON reply, one event per line, as the events come. */
export async function sendNdjson(reply: FastifyReply, events: AsyncIterable<unknown>): Promise<void> {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
  // The client learns at once that the stream is open, before the first event.
  raw.flushHeaders();
  let open = true;
  raw.on('close', () => (open = false));
  for await (const event of events) {
    // A client that went away stops reading; the work behind the events goes on regardless.
    if (open) raw.write(`${JSON.stringify(event)}\n`);
  }
  raw.end();
}
