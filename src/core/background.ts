import { EruError, type ErrorCode } from '../lib/errors.js';

/**
 * A queue of events that a background task fills and a client reads. The task does not depend on
 * the reader: a client that goes away does not stop a deploy half-way.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: (() => void) | undefined;
  private ended = false;
  private readonly watchers: Array<{ item: (item: T) => void; end: () => void }> = [];

  push(item: T): void {
    this.items.push(item);
    for (const watcher of this.watchers) watcher.item(item);
    this.wake();
  }

  end(): void {
    this.ended = true;
    for (const watcher of this.watchers) watcher.end();
    this.wake();
  }

  /** Sees every item pushed from now on, besides the reader (the activity record keeps them). */
  watch(item: (item: T) => void, end: () => void): void {
    this.watchers.push({ item, end });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.items.length > 0) yield this.items.shift()!;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }
}

/** Runs `task` over `items` with at most `limit` in flight. */
export async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Runs a streamed operation (deploy, job, build, base image, image cache) in the background: `work`
 * emits its progress and returns its final event; if it throws, `failed` turns the error into the
 * final event instead. The queue ends after the final event. The work does not depend on the reader.
 */
export function runInBackground<E>(work: (emit: (event: E) => void) => Promise<E>, failed: (error: unknown) => E): EventQueue<E> {
  const events = new EventQueue<E>();
  void work((event) => events.push(event))
    .then(
      (last) => events.push(last),
      (error: unknown) => events.push(failed(error)),
    )
    .finally(() => events.end());
  return events;
}

/** The final event of a streamed operation that failed: the error as the API would answer it. */
export function failedResult(error: unknown, code: ErrorCode): { type: 'result'; ok: false; error: { code: ErrorCode; message: string; details?: unknown } } {
  const known = error instanceof EruError ? error : new EruError(code, error instanceof Error ? error.message : String(error));
  const { code: finalCode, message, details } = known.toJSON();
  return { type: 'result', ok: false, error: { code: finalCode, message, ...(details !== undefined ? { details } : {}) } };
}
