import { EruError, ErrorCode } from '../../lib/errors.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';

/**
 * Env sets are kept in one place (their record) and reach workloads only as their containers are
 * made: records, views and the bus carry the set's name and version, never its values.
 */

/** The env set a deploy names, by name and version; one that does not exist is a 404 naming the field. */
export async function envSetOf(context: CoreContext, app: string, name: string): Promise<{ name: string; version: number }> {
  const set = await context.repos.appEnvs.get(app, name);
  if (!set) throw new EruError(ErrorCode.NOT_FOUND, `${app} has no env set ${name} (eru app env set ${app} ${name} KEY=VALUE…)`, { path: ['envSet'] });
  return { name, version: set.value.version };
}

/** A workload's env as its container gets it: its env set's values now, then its own env (which wins). */
export async function containerEnv(context: CoreContext, workload: Pick<Workload, 'app' | 'env' | 'envSet'>): Promise<Record<string, string>> {
  if (!workload.envSet) return workload.env;
  const set = await context.repos.appEnvs.get(workload.app, workload.envSet.name);
  return { ...set?.value.vars, ...workload.env };
}
