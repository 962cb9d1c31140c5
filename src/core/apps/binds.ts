import { setTimeout as sleep } from 'node:timers/promises';
import type { AppYaml } from '../../build/appyaml.js';
import { randomSuffix } from '../../lib/ids.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import type { Workload } from '../../model/workload.js';
import type { CoreContext } from '../context.js';
import { del } from '../repositories.js';

/**
 * Host paths an app.yaml may bind. An app.yaml is written by a team, not by the operator: bound to
 * `/` or to Docker's socket, its container would own the host. So each bind source lies under its own
 * app's directory of a bind root the operator chose (`{root}/{app}/`, `eru core --bind-root DIR`),
 * checked twice: here as text when a version is registered or deployed, and on the node by its agent
 * just before the container is made, on real paths (agent/binds.ts) — a link planted after the first
 * check is caught by the second. `eru deploy --volume` stays the operator's own.
 */
export const DEFAULT_BIND_ROOTS = ['/srv/eru', '/var/log/eru'];

/** How long a deploy waits for a node's agent to check its binds (a heartbeat or two). */
const CHECK_DEADLINE_MS = 30_000;
const CHECK_LEASE_SECONDS = 60;
const POLL_MS = 50;

const normal = (path: string): string => path.replace(/\/+/g, '/').replace(/\/(\.\/)+/g, '/').replace(/\/\.?$/, '') || '/';

/** The bind root a source lies in, under the app's own directory there; undefined when it lies in none. */
export function bindRootOf(source: string, app: string, roots: readonly string[]): string | undefined {
  const path = normal(source);
  return roots.find((root) => path === `${root}/${app}` || path.startsWith(`${root}/${app}/`));
}

export function checkAppBinds(app: AppYaml, roots: readonly string[]): void {
  for (const source of Object.keys(app.binds)) {
    if (bindRootOf(source, app.appname, roots) !== undefined) continue;
    throw new EruError(
      ErrorCode.FORBIDDEN_BIND,
      `app.yaml binds.${source}: an app binds only under its own directory of a bind root (${roots.map((root) => `${root}/${app.appname}/`).join(', ') || 'none'}); the operator allows more roots with eru core --bind-root DIR`,
      { path: ['app.yaml', 'binds', source] },
    );
  }
}

/**
 * Before a workload's container is made: its node's agent checks each app.yaml bind source there, on
 * real paths, and this waits for its word. Throws its reason (a link on the way, a directory above not
 * root's) or that it said nothing in time; nothing is made then.
 */
export async function bindsChecked(context: CoreContext, workload: Pick<Workload, 'app' | 'node' | 'binds'>): Promise<void> {
  if (workload.binds.length === 0) return;
  const { repos, bindRoots } = context;
  const lease = await repos.grantLease(CHECK_LEASE_SECONDS);
  const checks = workload.binds.map((bind) => {
    const source = normal(bind.split(':')[0]!);
    const root = bindRootOf(source, workload.app, bindRoots);
    if (!root) throw new EruError(ErrorCode.FORBIDDEN_BIND, `bind ${source} is not under a bind root's directory of ${workload.app}`, { path: ['binds'] });
    return { id: `${workload.app}-${randomSuffix()}`, app: workload.app, source, root };
  });
  try {
    for (const check of checks) await repos.bindChecks.ask(workload.node, check, lease);
    const deadline = Date.now() + CHECK_DEADLINE_MS;
    for (;;) {
      const reports = (await repos.alive.get(workload.node))?.binds ?? {};
      const waiting = checks.filter((c) => reports[c.id] === undefined);
      for (const check of checks) {
        const report = reports[check.id];
        if (report && !report.ok) throw new EruError(ErrorCode.FORBIDDEN_BIND, `bind ${check.source} on ${workload.node}: ${report.error ?? 'refused'}; nothing was made`, { path: ['binds'] });
      }
      if (waiting.length === 0) return;
      if (Date.now() > deadline) {
        throw new EruError(ErrorCode.FORBIDDEN_BIND, `the agent of ${workload.node} did not check bind ${waiting.map((c) => c.source).join(', ')} within ${CHECK_DEADLINE_MS / 1000} s (is it running?); nothing was made`, { path: ['binds'] });
      }
      await sleep(POLL_MS);
    }
  } finally {
    await repos.commit([], checks.map((c) => del(repos.bindChecks.key(workload.node, c.id)))).catch(() => undefined);
    await lease.revoke().catch(() => undefined);
  }
}
