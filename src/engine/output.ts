import type Docker from 'dockerode';
import { LineBuffer } from '../lib/lines.js';

/** A line of a container's output (contract/events.ts has its schema). */
export interface OutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/**
 * A container's output as stdout/stderr lines, read from Docker's multiplexed log stream as the
 * reader asks (backpressure reaches the Engine's socket) and in bounded memory: a frame is passed on
 * as it arrives, and a line longer than 64 KiB comes out in pieces (lib/lines.ts). Ends when the
 * container's output does (or, following, when `signal` aborts).
 */
export async function* containerOutput(
  container: Docker.Container,
  options: { follow: boolean; tail?: number; signal?: AbortSignal },
): AsyncGenerator<OutputLine> {
  const query = { stdout: true, stderr: true, follow: options.follow, ...(options.tail !== undefined ? { tail: options.tail } : {}) };
  const source = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
    container.modem.dial(
      {
        path: `/containers/${container.id}/logs?`,
        method: 'GET',
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
        ...(options.signal ? { abortSignal: options.signal } : {}),
      },
      (error: unknown, stream: unknown) => (error ? reject(error) : resolve(stream as NodeJS.ReadableStream)),
    ),
  );
  const stop = (): void => (source as unknown as { destroy?: () => void }).destroy?.();
  options.signal?.addEventListener('abort', stop, { once: true });
  const buffers = { stdout: new LineBuffer(), stderr: new LineBuffer() };
  try {
    for await (const { stream, data } of frames(source as AsyncIterable<Buffer>)) {
      for (const line of buffers[stream].push(data)) yield { stream, line };
    }
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = buffers[stream].flush();
    if (rest !== undefined) yield { stream, line: rest };
  }
}

/**
 * Docker's stream multiplexing without a TTY: an 8-byte header (stream type, then the payload's
 * length, big-endian) before each frame. A frame's payload is handed on in the pieces it arrives in.
 */
async function* frames(source: AsyncIterable<Buffer>): AsyncGenerator<{ stream: OutputLine['stream']; data: Buffer }> {
  let header = Buffer.alloc(0);
  let stream: OutputLine['stream'] = 'stdout';
  let remaining = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining > 0) {
        const data = chunk.subarray(offset, offset + remaining);
        remaining -= data.length;
        offset += data.length;
        yield { stream, data };
        continue;
      }
      const needed = 8 - header.length;
      header = Buffer.concat([header, chunk.subarray(offset, offset + needed)]);
      offset += Math.min(needed, chunk.length - offset);
      if (header.length < 8) break;
      stream = header[0] === 2 ? 'stderr' : 'stdout';
      remaining = header.readUInt32BE(4);
      header = Buffer.alloc(0);
    }
  }
}
