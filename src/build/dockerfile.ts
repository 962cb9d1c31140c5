import type { AppYaml } from './appyaml.js';

/**
 * The Dockerfile Eru writes for an app: FROM its base, the code under /APP, an unprivileged user for
 * the app, one RUN per build command. Every value from app.yaml enters as a JSON string (exec form),
 * so a quote, a newline or `$()` in it is only ever data for the shell inside the build container.
 */
export function dockerfile(app: AppYaml): string {
  const json = (value: unknown): string => JSON.stringify(value);
  const home = `/${app.appname}`;
  const lines = [
    '# Written by Eru from app.yaml; teams never write this file.',
    `FROM ${app.base}`,
    `COPY . ${home}`,
    `WORKDIR ${home}`,
    // busybox and Debian bases both have adduser; the user owns nothing but the app's tree.
    `RUN ["/bin/sh", "-c", ${json(`adduser -D -H -h ${home} ${app.appname} 2>/dev/null || useradd -M -d ${home} ${app.appname}; chown -R ${app.appname} ${home}`)}]`,
    ...app.build.map((command) => `RUN ["/bin/sh", "-c", ${json(command)}]`),
    `USER ${app.appname}`,
  ];
  return `${lines.join('\n')}\n`;
}

/** The argv that runs an entrypoint: its `commands` as given, or `cmd` through the container's own sh. */
export function entrypointCommand(entry: AppYaml['entrypoints'][string]): string[] {
  return entry.commands ?? ['/bin/sh', '-c', entry.cmd!];
}
