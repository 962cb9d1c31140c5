import type { EventEmitter } from 'node:events';

/** Resolves when a stream that refused a write (backpressure) has room again, or has closed. */
export function drained(stream: EventEmitter & { destroyed: boolean }): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}
