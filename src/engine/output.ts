import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LineBuffer } from '../lib/lines.js';

/** A line of a container's output (contract/events.ts has its schema). */
export interface OutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/** Docker's multiplexed log stream, split into stdout/stderr lines (an object stream of OutputLine). */
export async function containerOutput(
  container: Docker.Container,
  options: { follow: boolean; tail?: number },
): Promise<Readable> {
  const lines = new PassThrough({ objectMode: true });
  const splitter = (stream: OutputLine['stream']): PassThrough => {
    const raw = new PassThrough();
    const buffer = new LineBuffer();
    raw.on('data', (chunk: Buffer) => {
      for (const line of buffer.push(chunk)) lines.write({ stream, line } satisfies OutputLine);
    });
    raw.on('end', () => {
      const rest = buffer.flush();
      if (rest !== undefined) lines.write({ stream, line: rest });
    });
    return raw;
  };
  const stdout = splitter('stdout');
  const stderr = splitter('stderr');
  const common = { stdout: true, stderr: true, ...(options.tail !== undefined ? { tail: options.tail } : {}) };
  const finish = (): void => {
    stdout.end();
    stderr.end();
    setImmediate(() => lines.end());
  };
  if (options.follow) {
    const stream = await container.logs({ ...common, follow: true });
    container.modem.demuxStream(stream, stdout, stderr);
    stream.on('end', finish);
    stream.on('error', finish);
    lines.on('close', () => (stream as unknown as { destroy?: () => void }).destroy?.());
  } else {
    const buffer = await container.logs({ ...common, follow: false });
    const source = new PassThrough();
    container.modem.demuxStream(source, stdout, stderr);
    source.on('end', finish);
    source.end(buffer);
  }
  return lines;
}
