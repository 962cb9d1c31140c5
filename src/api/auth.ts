import { EruError, ErrorCode } from '../lib/errors.js';
import type { Auth, Principal } from '../core/index.js';
import { RateLimiter, type ServerLimits } from './limits.js';

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

/** Who a request's token is; null for a public route. */
async function authenticate(auth: Auth, header: string | undefined, access: Access): Promise<Principal | null> {
  if (access === 'public') return null;
  const token = bearer(header);
  if (!token) throw new EruError(ErrorCode.UNAUTHENTICATED, 'missing bearer token (Authorization: Bearer TOKEN)');
  const principal = await auth.authenticate(token);
  if (!principal) throw new EruError(ErrorCode.UNAUTHENTICATED, 'invalid token');
  return principal;
}

/** Refuses (403) a principal the route's access does not let in. */
export function checkAccess(principal: Principal | null, access: Access): void {
  if (access === 'public' || !principal) return;
  if (!allowed(principal, access)) throw new EruError(ErrorCode.FORBIDDEN, `token ${principal.name} (${principal.scope}) may not make this call: it needs ${NEEDS[access]}`);
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

/**
 * The door every request passes (routes and exec attach): its token checked against the route's
 * access, then its token's rate. Failed sign-ins are limited per address, so tokens cannot be guessed
 * at speed.
 */
export class Gate {
  private readonly perToken: RateLimiter;
  private readonly failures: RateLimiter;

  constructor(
    readonly auth: Auth,
    limits: ServerLimits,
  ) {
    this.perToken = new RateLimiter(limits.rateLimit, limits.rateLimit * 10);
    this.failures = new RateLimiter(limits.rateLimit > 0 ? 1 : 0, 30);
  }

  /** Who is asking (401 without a valid token), within their rate (429); not yet whether they may. */
  async identify(header: string | undefined, address: string, access: Access): Promise<Principal | null> {
    let principal: Principal | null;
    try {
      principal = await authenticate(this.auth, header, access);
    } catch (error) {
      if (error instanceof EruError && error.code === ErrorCode.UNAUTHENTICATED && bearer(header)) this.failures.take(address, `address ${address} (failed sign-ins)`);
      throw error;
    }
    if (principal) this.perToken.take(`${principal.scope}:${principal.name}`, `token ${principal.name}`);
    return principal;
  }

  /** identify, then checkAccess: the principal of a request that may go on. */
  async admit(header: string | undefined, address: string, access: Access): Promise<Principal | null> {
    const principal = await this.identify(header, address, access);
    checkAccess(principal, access);
    return principal;
  }
}
