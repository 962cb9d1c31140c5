import { EruError, ErrorCode } from '../lib/errors.js';
import type { Auth, Principal } from '../core/index.js';

/** Who may call a route: anyone, the admin token, or a node token (agents) as well. */
export type Scope = 'public' | 'admin' | 'node';

/** Reads the bearer token of a request and checks it against the route's scope. */
export async function authorize(auth: Auth, header: string | undefined, scope: Scope): Promise<Principal | null> {
  if (scope === 'public') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) throw new EruError(ErrorCode.UNAUTHENTICATED, 'missing bearer token (Authorization: Bearer TOKEN)');
  const principal = await auth.authenticate(match[1]!);
  if (!principal) throw new EruError(ErrorCode.UNAUTHENTICATED, 'invalid token');
  if (scope === 'admin' && principal.scope !== 'admin') throw new EruError(ErrorCode.FORBIDDEN, 'this call needs the admin scope');
  return principal;
}
