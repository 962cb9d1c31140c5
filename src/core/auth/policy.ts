import { EruError, ErrorCode } from '../../lib/errors.js';
import type { Principal } from '../../model/token.js';

/**
 * The rules of who may do what beyond a route's scope (model/token.ts): which apps a deployer may
 * change, what a deployer's workloads may never ask for, and what a view hides from whom.
 */

/** Admin may change any app; a deployer only its own; nobody else any. */
export function mayChangeApp(principal: Principal | null, app: string): void {
  if (principal?.scope === 'admin') return;
  if (principal?.scope === 'deployer') {
    if (principal.apps.includes(app)) return;
    throw new EruError(ErrorCode.FORBIDDEN, `token ${principal.name} may change ${principal.apps.join(', ')}, not ${app}`);
  }
  throw new EruError(ErrorCode.FORBIDDEN, `this call changes app ${app}: it needs an admin token or a deployer token for ${app}`);
}

/** What a deployer's deploy or job may not ask for: each is the host's, not the app's. */
export function checkDeployer(principal: Principal | null, body: { volumes?: readonly string[]; user?: string | undefined; hostNetwork?: boolean; publish?: readonly string[]; capAdd?: readonly string[] }): void {
  if (principal?.scope !== 'deployer') return;
  const refuse = (path: Array<string | number>, what: string): never => {
    throw new EruError(ErrorCode.FORBIDDEN, `a deployer token may not ask for ${what}: it needs an admin token`, { path });
  };
  if ((body.volumes?.length ?? 0) > 0) refuse(['volumes'], 'host paths (volumes); use shared volumes or app.yaml binds');
  if (body.user !== undefined) refuse(['user'], 'a user');
  if (body.hostNetwork) refuse(['hostNetwork'], "the host's network");
  body.publish?.forEach((publish, i) => {
    if (publish.startsWith('0.0.0.0:')) refuse(['publish', i], 'a publish on 0.0.0.0 (every address of the host)');
  });
  if ((body.capAdd?.length ?? 0) > 0) refuse(['capAdd'], 'added capabilities');
}

const HIDDEN = '(hidden)';

/** Env values are seen by admin only; everyone else sees the names. */
export function redactEnv(principal: Principal | null, env: Readonly<Record<string, string>>): Record<string, string> {
  if (principal?.scope === 'admin') return { ...env };
  return Object.fromEntries(Object.keys(env).map((name) => [name, HIDDEN]));
}

/** A workload (or anything with `env`) as a principal may see it. */
export function redactWorkload<T extends { env: Record<string, string> }>(principal: Principal | null, workload: T): T {
  return principal?.scope === 'admin' ? workload : { ...workload, env: redactEnv(principal, workload.env) };
}

/** A service view: its spec's env and its request's env hidden alike. */
export function redactService<T extends { spec: { env: Record<string, string> }; request: Record<string, unknown> }>(principal: Principal | null, service: T): T {
  if (principal?.scope === 'admin') return service;
  const requestEnv = service.request.env as Record<string, string> | undefined;
  return {
    ...service,
    spec: redactWorkload(principal, service.spec),
    request: { ...service.request, ...(requestEnv ? { env: redactEnv(principal, requestEnv) } : {}) },
  };
}
