import { EruError, type ErrorCode } from '../lib/errors.js';

/**
 * A queue of events that a background task fills and a client reads. The task does not depend on
 * the reader: a client that goes away does not stop a deploy half-way (what it would have read is
 * dropped from then on). Bounded: past `max` unread items the queue either makes a writer that asks
 * wait for `room()` (the reader's pace reaches the source), or, with `overflow: 'end'`, ends (a
 * watcher too slow to keep up is cut off and may watch again).
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiting: (() => void) | undefined;
  private roomWaiters: Array<() => void> = [];
  private ended = false;
  private detached = false;
  private readonly watchers: Array<{ item: (item: T) => void; end: () => void }> = [];

  constructor(
    private readonly max = 10_000,
    private readonly overflow: 'wait' | 'end' = 'wait',
  ) {}

  push(item: T): void {
    if (this.ended) return;
    for (const watcher of this.watchers) watcher.item(item);
    if (this.detached) return;
    this.items.push(item);
    if (this.items.length > this.max && this.overflow === 'end') this.end();
    this.wake();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const watcher of this.watchers) watcher.end();
    this.wake();
    this.freeRoom();
  }

  /** Resolves once the reader has caught up below the bound (at once if it has gone). */
  room(): Promise<void> {
    if (this.items.length < this.max || this.detached || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /**
   * Sees every item pushed from now on, besides the reader (the activity record keeps them), and first
   * those still unread: a task may have emitted before its first await, ahead of the watcher.
   */
  watch(item: (item: T) => void, end: () => void): void {
    for (const queued of this.items) item(queued);
    this.watchers.push({ item, end });
    if (this.ended) end();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  private freeRoom(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        while (this.items.length > 0) {
          const item = this.items.shift()!;
          if (this.items.length < this.max) this.freeRoom();
          yield item;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.waiting = resolve));
      }
    } finally {
      // The reader has gone (or finished): nothing more is kept for it.
      this.detached = true;
      this.items.length = 0;
      this.freeRoom();
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
 * emits its progress (awaiting `room()` before each of many, such as a job's output lines) and returns its final event; if it throws, `failed` turns the error into the
 * final event instead. The queue ends after the final event. The work does not depend on the reader.
 */
export function runInBackground<E>(work: (emit: (event: E) => void, room: () => Promise<void>) => Promise<E>, failed: (error: unknown) => E): EventQueue<E> {
  const events = new EventQueue<E>();
  void work((event) => events.push(event), () => events.room())
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
