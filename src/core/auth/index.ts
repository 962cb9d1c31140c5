import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IssuedToken, TokenCreate, TokenView } from '../../contract/tokens.js';
import { EruError, ErrorCode, conflict, notFound } from '../../lib/errors.js';
import { durationMs } from '../../lib/time.js';
import type { Principal, Token } from '../../model/token.js';
import { absent, del, put, type Repositories } from '../repositories.js';

export type { Principal } from '../../model/token.js';
export { checkDeployer, mayChangeApp, redactEnv, redactWorkload, redactService } from './policy.js';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Who may call the core: the admin token it was started with, and the tokens it issued (model/token.ts
 * says what each scope may do; policy.ts holds the rules). Only a token's sha256 is kept; an expired
 * token is refused with when it expired.
 */
export class Auth {
  private readonly admin: Buffer;

  constructor(
    private readonly repos: Repositories,
    adminToken: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.admin = Buffer.from(adminToken);
  }

  /**
   * Who a bearer token is, or null when it is nobody. Tokens are read from this core's mirror (no
   * store read per call); one issued through another core a moment ago and not yet mirrored is read
   * from the store. A token revoked through another core is refused once the watch brings the
   * deletion (milliseconds), through this core at once.
   */
  async authenticate(token: string): Promise<Principal | null> {
    const given = Buffer.from(token);
    if (given.length === this.admin.length && timingSafeEqual(given, this.admin)) return { name: 'admin', scope: 'admin' };
    const hash = tokenHash(token);
    const record = ((await this.repos.mirrored.tokens()).get(hash) ?? (await this.repos.tokens.get(hash)))?.value;
    if (!record) return null;
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.now().getTime()) {
      throw new EruError(ErrorCode.UNAUTHENTICATED, `token ${record.name} expired at ${record.expiresAt}`);
    }
    return principalOf(record);
  }

  /** A new token; the secret is shown once, only its hash is kept. Names are unique. */
  async issue(input: TokenCreate): Promise<IssuedToken> {
    if (input.name === 'admin') throw conflict('the name admin is the core\'s own token');
    return this.create({ name: input.name, scope: input.scope, apps: input.apps }, input.expires);
  }

  /** A token for a node's agent, named after the node. */
  async issueNodeToken(node: string, expires?: string): Promise<IssuedToken> {
    if (!(await this.repos.nodes.get(node))) throw notFound('node', node);
    return this.create({ name: `node.${node}.${randomBytes(3).toString('hex')}`, scope: 'node', apps: [], node }, expires);
  }

  async list(): Promise<TokenView[]> {
    return (await this.repos.tokens.list()).map((t) => t.value).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Revokes a token by its name: it is refused from the next call on. */
  async remove(name: string): Promise<TokenView> {
    const found = (await this.repos.tokens.list()).find((t) => t.value.name === name);
    if (!found) throw notFound('token', name);
    await this.repos.commit([], [del(this.repos.tokens.key(found.name))]);
    await (await this.repos.mirrored.tokens()).fresh({ deletes: true });
    return found.value;
  }

  private async create(fields: Omit<Token, 'createdAt' | 'expiresAt'>, expires: string | undefined): Promise<IssuedToken> {
    if ((await this.repos.tokens.list()).some((t) => t.value.name === fields.name)) throw conflict(`a token named ${fields.name} exists; remove it first or choose another name`);
    const now = this.now();
    const record: Token = { ...fields, createdAt: now.toISOString(), ...(expires ? { expiresAt: new Date(now.getTime() + durationMs(expires)).toISOString() } : {}) };
    const secret = `eru-${fields.scope}-${randomBytes(24).toString('hex')}`;
    const key = this.repos.tokens.key(tokenHash(secret));
    if (!(await this.repos.commit([absent(key)], [put(key, record)]))) throw conflict('token collision; try again');
    return { ...record, token: secret };
  }
}

function principalOf(token: Token): Principal {
  switch (token.scope) {
    case 'admin':
      return { name: token.name, scope: 'admin' };
    case 'viewer':
      return { name: token.name, scope: 'viewer' };
    case 'deployer':
      return { name: token.name, scope: 'deployer', apps: token.apps };
    case 'node':
      return { name: token.name, scope: 'node', node: token.node ?? '' };
  }
}

/** A node token speaks for its own node only. */
export function requireNode(principal: Principal | null, node: string): void {
  if (principal?.scope === 'node' && principal.node !== node) {
    throw new EruError(ErrorCode.FORBIDDEN, `this token is for node ${principal.node}; it cannot report for ${node}`);
  }
}
