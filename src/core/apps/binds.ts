import type { AppYaml } from '../../build/appyaml.js';
import { EruError, ErrorCode } from '../../lib/errors.js';

/**
 * Host paths an app.yaml may bind. An app.yaml is written by a team, not by the operator: bound to
 * `/` or to Docker's socket, its container would own the host. So its bind sources must lie under a
 * root the operator chose (`eru core --bind-root DIR`); `eru deploy --volume` stays the operator's own.
 */
export const DEFAULT_BIND_ROOTS = ['/srv/eru', '/var/log/eru'];

export function checkAppBinds(app: AppYaml, roots: readonly string[]): void {
  for (const source of Object.keys(app.binds)) {
    const normal = source.replace(/\/+/g, '/').replace(/\/(\.\/)+/g, '/').replace(/\/\.?$/, '') || '/';
    if (!roots.some((root) => normal === root || normal.startsWith(`${root}/`))) {
      throw new EruError(
        ErrorCode.FORBIDDEN_BIND,
        `app.yaml binds.${source}: the host path is outside the bind roots (${roots.join(', ') || 'none'}); the operator allows more with eru core --bind-root DIR`,
        { path: ['app.yaml', 'binds', source] },
      );
    }
  }
}
