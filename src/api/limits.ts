import type { FastifyInstance } from 'fastify';
import { DEFAULT_RATE_LIMIT } from '../contract/constants.js';
import { EruError, ErrorCode } from '../lib/errors.js';

/** What a core takes from any one client, and how long it waits for it (`eru core` options). */
export interface ServerLimits {
  /** A request body must have arrived this long after its headers (plus a second per MiB it declares). */
  requestTimeoutMs: number;
  /** Requests a second per token (a burst of ten seconds' worth is allowed); 0: no limit. */
  rateLimit: number;
}

export const DEFAULT_LIMITS: ServerLimits = { requestTimeoutMs: 30_000, rateLimit: DEFAULT_RATE_LIMIT };

/** Slow or stalled bodies: a trickled upload holds a connection only as long as its deadline. */
export function registerBodyDeadline(app: FastifyInstance, limits: ServerLimits): void {
  app.addHook('onRequest', async (request, reply) => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (length === 0 && request.headers['transfer-encoding'] === undefined) return;
    const seconds = limits.requestTimeoutMs / 1000 + Math.ceil(length / (1024 * 1024));
    const timer = setTimeout(() => {
      if (reply.sent || request.raw.complete) return;
      const error = new EruError(ErrorCode.REQUEST_TIMEOUT, `the request body did not arrive within ${seconds}s`);
      // The body is abandoned, so the connection goes with the answer.
      reply.raw.writeHead(408, { 'content-type': 'application/json', connection: 'close' });
      reply.raw.end(JSON.stringify(error.toJSON()), () => request.raw.socket.destroy());
    }, seconds * 1000);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
    reply.raw.once('finish', clear);
  });
}

/**
 * Token buckets, one per key (a token's name; an address for failed sign-ins): `rate` a second,
 * `burst` at once. Full buckets are forgotten, so the map holds only recent callers.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request's worth; throws RATE_LIMITED (with the seconds to wait) when the bucket is empty. */
  take(key: string, who: string): void {
    if (this.rate <= 0) return;
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rate);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      const retryAfter = Math.ceil((1 - bucket.tokens) / this.rate);
      throw new EruError(ErrorCode.RATE_LIMITED, `${who} is over ${this.rate} requests a second; try again in ${retryAfter}s`, { details: { retryAfter } });
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    if (this.buckets.size > 10_000) this.forgetFull(now);
  }

  private forgetFull(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.rate >= this.burst) this.buckets.delete(key);
    }
  }
}
