import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EruError, ErrorCode, notFound } from '../../lib/errors.js';
import type { NodeTokenView } from '../../contract/agents.js';
import { put, type Repositories } from '../repositories.js';

/**
 * Who may call the core. Bearer tokens: the admin token may do everything; a node token, issued for
 * one node's agent, may only report for that node. Node tokens are kept as their sha256 alone.
 */
export type Principal = { scope: 'admin' } | { scope: 'node'; node: string };

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class Auth {
  private readonly admin: Buffer;

  constructor(
    private readonly repos: Repositories,
    adminToken: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.admin = Buffer.from(adminToken);
  }

  /** Who a bearer token is, or null when it is nobody. */
  async authenticate(token: string): Promise<Principal | null> {
    const given = Buffer.from(token);
    if (given.length === this.admin.length && timingSafeEqual(given, this.admin)) return { scope: 'admin' };
    const node = (await this.repos.tokens.get(tokenHash(token)))?.value.node;
    return node ? { scope: 'node', node } : null;
  }

  /** A new token for a node's agent; shown once, only its hash is kept. */
  async issueNodeToken(node: string): Promise<NodeTokenView> {
    if (!(await this.repos.nodes.get(node))) throw notFound('node', node);
    const token = `eru-node-${randomBytes(24).toString('hex')}`;
    await this.repos.commit([], [put(this.repos.tokens.key(tokenHash(token)), { node, createdAt: this.now().toISOString() })]);
    return { node, token };
  }
}

/** A node token speaks for its own node only. */
export function requireNode(principal: Principal | null, node: string): void {
  if (principal?.scope === 'node' && principal.node !== node) {
    throw new EruError(ErrorCode.FORBIDDEN, `this token is for node ${principal.node}; it cannot report for ${node}`);
  }
}
