/**
 * Text arriving in chunks, handed out a whole line at a time: NDJSON streams (the API's, Docker's
 * events) and a container's output all come this way.
 */
export class LineBuffer {
  private rest = '';
  private readonly decoder = new TextDecoder();

  /** The lines completed by this chunk, without their newlines. */
  push(chunk: Uint8Array | string): string[] {
    const parts = (this.rest + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }))).split('\n');
    this.rest = parts.pop()!;
    return parts;
  }

  /** What is left after the last newline, once the stream has ended. */
  flush(): string | undefined {
    const rest = this.rest + this.decoder.decode();
    this.rest = '';
    return rest === '' ? undefined : rest;
  }
}

/** The JSON values of an NDJSON stream, one per non-blank line. */
export async function* ndjson<T>(source: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  const buffer = new LineBuffer();
  for await (const chunk of source) {
    for (const line of buffer.push(chunk)) if (line.trim()) yield JSON.parse(line) as T;
  }
  const last = buffer.flush();
  if (last?.trim()) yield JSON.parse(last) as T;
}
