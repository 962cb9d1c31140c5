import { EruError, ErrorCode } from '../lib/errors.js';
import type { Auth, Principal } from '../core/index.js';

/**
 * Who may call a route (model/token.ts says what each token scope may do):
 * - `public`: anyone; `read`: any token but a node's (admin, viewer, deployer);
 * - `app`: admin, or a deployer token for the app the route changes (the route names it: RouteSpec.app);
 * - `admin`: the admin scope only; `node`: an agent's token (for its own node) or admin.
 */
export type Access = 'public' | 'read' | 'app' | 'admin' | 'node';

/** The bearer token of a request (the header only: a token in a URL would land in logs and histories). */
export function bearer(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

/** Checks a request's token against the route's access; the principal, or null for a public route. */
export async function authorize(auth: Auth, header: string | undefined, access: Access): Promise<Principal | null> {
  if (access === 'public') return null;
  const token = bearer(header);
  if (!token) throw new EruError(ErrorCode.UNAUTHENTICATED, 'missing bearer token (Authorization: Bearer TOKEN)');
  const principal = await auth.authenticate(token);
  if (!principal) throw new EruError(ErrorCode.UNAUTHENTICATED, 'invalid token');
  if (!allowed(principal, access)) throw new EruError(ErrorCode.FORBIDDEN, `token ${principal.name} (${principal.scope}) may not make this call: it needs ${NEEDS[access]}`);
  return principal;
}

const NEEDS: Record<Exclude<Access, 'public'>, string> = {
  read: 'an admin, viewer or deployer token',
  app: 'an admin token or a deployer token for the app',
  admin: 'an admin token',
  node: "the node's agent token or an admin token",
};

function allowed(principal: Principal, access: Exclude<Access, 'public'>): boolean {
  switch (access) {
    case 'admin':
      return principal.scope === 'admin';
    case 'node':
      return principal.scope === 'node' || principal.scope === 'admin';
    case 'read':
      return principal.scope !== 'node';
    case 'app':
      return principal.scope === 'admin' || principal.scope === 'deployer';
  }
}
