import { createHmac, timingSafeEqual } from 'node:crypto';
import { EruError, ErrorCode } from '../../lib/errors.js';

/** A push to a branch, as GitHub or GitLab tells of it. */
export interface Push {
  provider: 'github' | 'gitlab';
  /** The delivery's own id (X-GitHub-Delivery, X-Gitlab-Event-UUID), for the log. */
  delivery?: string;
  branch: string;
  sha: string;
  /** Who pushed, as the provider names them. */
  pusher?: string;
}

/** What a delivery asks: a push to build, a ping to answer, or something Eru does not act on. */
export type Delivery = { kind: 'push'; push: Push } | { kind: 'ping' } | { kind: 'ignored'; why: string };

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Compares in constant time (a byte-by-byte compare tells an attacker how much of a guess was right). */
function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Checks that a delivery comes from whoever holds the app's secret, before anything in it is read:
 * GitHub's `X-Hub-Signature-256` (HMAC-SHA256 of the exact bytes sent), or GitLab's `X-Gitlab-Token`
 * (the secret itself). Anything else — unsigned, wrongly signed, another provider — is BAD_SIGNATURE (401).
 */
export function verifyDelivery(headers: Headers, body: Buffer, secret: string): 'github' | 'gitlab' {
  const signature = header(headers, 'x-hub-signature-256');
  if (signature !== undefined) {
    const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    if (same(signature, expected)) return 'github';
    throw new EruError(ErrorCode.BAD_SIGNATURE, 'X-Hub-Signature-256 does not match the HMAC of the body with the app\'s secret');
  }
  const token = header(headers, 'x-gitlab-token');
  if (token !== undefined) {
    if (same(token, secret)) return 'gitlab';
    throw new EruError(ErrorCode.BAD_SIGNATURE, 'X-Gitlab-Token is not the app\'s secret');
  }
  throw new EruError(ErrorCode.BAD_SIGNATURE, 'unsigned: a delivery needs X-Hub-Signature-256 (GitHub) or X-Gitlab-Token (GitLab)');
}

const ZERO_SHA = /^0{40}$/;

/** The JSON of a verified delivery: GitHub sends it as the body or, with form encoding, as its `payload` field. */
function payloadOf(headers: Headers, body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8');
  const json = /application\/x-www-form-urlencoded/.test(header(headers, 'content-type') ?? '') ? (new URLSearchParams(text).get('payload') ?? '') : text;
  try {
    const parsed = JSON.parse(json) as unknown;
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // said below
  }
  throw new EruError(ErrorCode.INVALID_JSON, 'the delivery is not a JSON object');
}

/** Reads a verified delivery: GitHub's `push` and `ping` events, GitLab's `Push Hook`; anything else is ignored. */
export function readDelivery(provider: 'github' | 'gitlab', headers: Headers, body: Buffer): Delivery {
  const event = provider === 'github' ? header(headers, 'x-github-event') : header(headers, 'x-gitlab-event');
  if (provider === 'github' && event === 'ping') return { kind: 'ping' };
  if ((provider === 'github' && event !== 'push') || (provider === 'gitlab' && event !== 'Push Hook')) return { kind: 'ignored', why: `${provider} event ${event ?? '(none)'} is not a push` };
  const payload = payloadOf(headers, body);
  const ref = typeof payload.ref === 'string' ? payload.ref : '';
  const sha = typeof payload.after === 'string' ? payload.after : '';
  if (!ref.startsWith('refs/heads/')) return { kind: 'ignored', why: `${ref || 'no ref'} is not a branch` };
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new EruError(ErrorCode.INVALID_ARGUMENT, 'the push names no commit (after)', { path: ['after'] });
  if (ZERO_SHA.test(sha) || payload.deleted === true) return { kind: 'ignored', why: `${ref} was deleted` };
  const pusher = provider === 'github' ? (payload.pusher as { name?: unknown } | undefined)?.name : payload.user_username;
  const delivery = provider === 'github' ? header(headers, 'x-github-delivery') : header(headers, 'x-gitlab-event-uuid');
  return {
    kind: 'push',
    push: { provider, branch: ref.slice('refs/heads/'.length), sha, ...(typeof pusher === 'string' ? { pusher } : {}), ...(delivery ? { delivery } : {}) },
  };
}
