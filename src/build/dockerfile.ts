import type { AppYaml } from './appyaml.js';
import { LAUNCHER_DIR, LAUNCHER_IN_IMAGE } from './launcher.js';
import { APP_UID, APP_USER } from '../model/user.js';

/**
 * The Dockerfile Eru writes for an app: FROM its base, an unprivileged user for the app, the
 * dependency files and their commands (`build.deps`), the code under /APP, one RUN per build command,
 * and the launcher as ENTRYPOINT. Steps that change less often come first, so Docker's build cache
 * reuses them from one version to the next. Every value from app.yaml enters as a JSON string (exec
 * form), so a quote, a newline or `$()` in it is only ever data for the shell inside the build container.
 */
export function dockerfile(app: AppYaml): string {
  const json = (value: unknown): string => JSON.stringify(value);
  const home = `/${app.appname}`;
  const run = (command: string): string => `RUN ["/bin/sh", "-c", ${json(command)}]`;
  // The code belongs to the app's user (numeric: a build step that rewrites /etc/passwd cannot make the name mean root).
  const copy = (from: string, to: string): string => `COPY --chown=${APP_UID}:${APP_UID} ${json([from, to])}`;
  const lines = [
    '# Written by Eru from app.yaml; teams never write this file.',
    `FROM ${app.base}`,
    `WORKDIR ${home}`,
    // useradd (Debian, RHEL), busybox's adduser (busybox, Alpine), and on a base with neither, the
    // passwd line itself. Debian's adduser answers busybox's flags with usage and exit 0, so what
    // counts is whether the user exists afterwards. The user owns nothing but the app's tree.
    run(
      `(useradd -M -u ${APP_UID} -d ${home} ${app.appname} || adduser -D -H -u ${APP_UID} -h ${home} ${app.appname}) >/dev/null 2>&1; ` +
        `grep -q '^${app.appname}:' /etc/passwd || { echo '${app.appname}:x:${APP_UID}:${APP_UID}::${home}:/bin/sh' >> /etc/passwd && echo '${app.appname}:x:${APP_UID}:' >> /etc/group; }; ` +
        `chown ${APP_UID} ${home}`,
    ),
    ...(app.build.deps ? [...app.build.deps.files.map((file) => copy(file, `${home}/${file}`)), ...app.build.deps.commands.map(run)] : []),
    copy('.', home),
    `COPY ${json([LAUNCHER_DIR, LAUNCHER_IN_IMAGE])}`,
    ...app.build.commands.map(run),
    ...(app.volumes.length > 0 ? [`VOLUME ${json(app.volumes)}`] : []),
    `USER ${APP_USER}`,
    `ENTRYPOINT ${json(['/bin/sh', `${LAUNCHER_IN_IMAGE}/launch`])}`,
  ];
  return `${lines.join('\n')}\n`;
}
