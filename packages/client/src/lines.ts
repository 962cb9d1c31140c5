/** The longest line a LineBuffer keeps whole (64 KiB): a workload's output is not trusted to end its lines. */
export const MAX_LINE = 64 * 1024;

/**
 * Text arriving in chunks, handed out a whole line at a time: NDJSON streams (the API's, Docker's
 * events) and a container's output all come this way. Memory stays bounded by `maxLine`: a longer
 * line comes out in pieces of `maxLine` characters ('split'), or is an error ('fail': for JSON,
 * where a piece would mean nothing).
 */
export class LineBuffer {
  private rest = '';
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly maxLine = MAX_LINE,
    private readonly tooLong: 'split' | 'fail' = 'split',
  ) {}

  /** The lines completed by this chunk, without their newlines. */
  push(chunk: Uint8Array | string): string[] {
    const parts = (this.rest + (typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true }))).split('\n');
    let rest = parts.pop()!;
    const lines: string[] = [];
    for (const part of parts) lines.push(...this.pieces(part));
    if (rest.length > this.maxLine) {
      if (this.tooLong === 'fail') throw new Error(`a line of over ${this.maxLine} characters`);
      const whole = Math.floor(rest.length / this.maxLine) * this.maxLine;
      lines.push(...this.pieces(rest.slice(0, whole)));
      rest = rest.slice(whole);
    }
    this.rest = rest;
    return lines;
  }

  /** What is left after the last newline, once the stream has ended. */
  flush(): string | undefined {
    const rest = this.rest + this.decoder.decode();
    this.rest = '';
    return rest === '' ? undefined : rest;
  }

  private pieces(line: string): string[] {
    if (line.length <= this.maxLine) return [line];
    if (this.tooLong === 'fail') throw new Error(`a line of over ${this.maxLine} characters`);
    const pieces: string[] = [];
    for (let start = 0; start < line.length; start += this.maxLine) pieces.push(line.slice(start, start + this.maxLine));
    return pieces;
  }
}

/** The JSON values of an NDJSON stream, one per non-blank line; a line over `maxLine` is an error. */
export async function* ndjson<T>(source: AsyncIterable<Uint8Array | string>, maxLine = 64 * 1024 * 1024): AsyncGenerator<T> {
  const buffer = new LineBuffer(maxLine, 'fail');
  for await (const chunk of source) {
    for (const line of buffer.push(chunk)) if (line.trim()) yield JSON.parse(line) as T;
  }
  const last = buffer.flush();
  if (last?.trim()) yield JSON.parse(last) as T;
}
