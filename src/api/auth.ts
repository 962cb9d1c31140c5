import { timingSafeEqual } from 'node:crypto';
import { EruError } from '../lib/errors.js';

/**
 * Bearer tokens. The admin scope may do everything; a node scope (issued to an agent) may only report
 * for its own node. Node tokens are resolved through `nodeTokens`, which the agent issue fills in.
 */
export type Principal = { scope: 'admin' } | { scope: 'node'; node: string };
export type Scope = 'public' | 'admin' | 'node';

export interface Authenticator {
  authenticate(token: string): Promise<Principal | null>;
}

export function tokenAuthenticator(adminToken: string, nodeTokens?: (token: string) => Promise<string | null>): Authenticator {
  const admin = Buffer.from(adminToken);
  return {
    async authenticate(token) {
      const given = Buffer.from(token);
      if (given.length === admin.length && timingSafeEqual(given, admin)) return { scope: 'admin' };
      const node = nodeTokens ? await nodeTokens(token) : null;
      return node ? { scope: 'node', node } : null;
    },
  };
}

export async function authorize(authenticator: Authenticator, header: string | undefined, scope: Scope): Promise<Principal | null> {
  if (scope === 'public') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new EruError('UNAUTHENTICATED', 'missing bearer token (Authorization: Bearer TOKEN)', { status: 401 });
  const principal = await authenticator.authenticate(match[1]!);
  if (!principal) throw new EruError('UNAUTHENTICATED', 'invalid token', { status: 401 });
  if (scope === 'admin' && principal.scope !== 'admin') {
    throw new EruError('FORBIDDEN', 'this call needs the admin scope', { status: 403 });
  }
  return principal;
}
