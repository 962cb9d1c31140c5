import type { AppYaml } from './appyaml.js';
import { LAUNCHER_DIR, LAUNCHER_IN_IMAGE } from './launcher.js';
import { APP_UID, APP_USER } from '../model/user.js';

/**
 * The Dockerfile Eru writes for an app: FROM its base, the code under /APP, an unprivileged user for
 * the app, one RUN per build command, and the launcher as ENTRYPOINT. Every value from app.yaml enters as a JSON string (exec form),
 * so a quote, a newline or `$()` in it is only ever data for the shell inside the build container.
 */

export function dockerfile(app: AppYaml): string {
  const json = (value: unknown): string => JSON.stringify(value);
  const home = `/${app.appname}`;
  const lines = [
    '# Written by Eru from app.yaml; teams never write this file.',
    `FROM ${app.base}`,
    `COPY . ${home}`,
    `COPY ${json([LAUNCHER_DIR, LAUNCHER_IN_IMAGE])}`,
    `WORKDIR ${home}`,
    // useradd (Debian, RHEL), busybox's adduser (busybox, Alpine), and on a base with neither, the
    // passwd line itself. Debian's adduser answers busybox's flags with usage and exit 0, so what
    // counts is whether the user exists afterwards. The user owns nothing but the app's tree.
    `RUN ["/bin/sh", "-c", ${json(
      `(useradd -M -u ${APP_UID} -d ${home} ${app.appname} || adduser -D -H -u ${APP_UID} -h ${home} ${app.appname}) >/dev/null 2>&1; ` +
        `grep -q '^${app.appname}:' /etc/passwd || { echo '${app.appname}:x:${APP_UID}:${APP_UID}::${home}:/bin/sh' >> /etc/passwd && echo '${app.appname}:x:${APP_UID}:' >> /etc/group; }; ` +
        `chown -R ${APP_UID} ${home}`,
    )}]`,
    ...app.build.map((command) => `RUN ["/bin/sh", "-c", ${json(command)}]`),
    ...(app.volumes.length > 0 ? [`VOLUME ${json(app.volumes)}`] : []),
    // Numeric: a build step that rewrites /etc/passwd cannot make the name mean root.
    `USER ${APP_USER}`,
    `ENTRYPOINT ${json(['/bin/sh', `${LAUNCHER_IN_IMAGE}/launch`])}`,
  ];
  return `${lines.join('\n')}\n`;
}
