import type { AppYaml } from './appyaml.js';

/**
 * The launcher: the image's ENTRYPOINT, so `IMAGE web` runs the app's `web` entrypoint wherever the
 * image goes. The script is a constant; each entrypoint's command is a data file beside it
 * (/.eru/entrypoints/NAME), handed whole to the container's own `sh -c`. Nothing from app.yaml is
 * ever pasted into the script. Given anything that is not an entrypoint name, it runs that as argv,
 * so a deploy may still replace the command.
 */
export const LAUNCHER_DIR = '.eru.launch';
export const LAUNCHER_IN_IMAGE = '/.eru';

export const LAUNCHER_SCRIPT = `# Written by Eru: runs an app.yaml entrypoint by name (the commands are in ${LAUNCHER_IN_IMAGE}/entrypoints).
if [ "$#" -eq 0 ]; then
  echo "give an entrypoint: $(ls ${LAUNCHER_IN_IMAGE}/entrypoints | tr '\\n' ' ')" >&2
  exit 64
fi
case "$1" in
  */*|.*) ;;
  *)
    if [ -f "${LAUNCHER_IN_IMAGE}/entrypoints/$1" ]; then
      entry=$1
      shift
      exec /bin/sh -c "$(cat "${LAUNCHER_IN_IMAGE}/entrypoints/$entry")" "$entry" "$@"
    fi
    ;;
esac
exec "$@"
`;

/** A word the shell reads back as exactly `value`: single quotes, with each ' closed, escaped and reopened. */
export function shellWord(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What `sh -c` runs for an entrypoint: `cmd` as written, or the `commands` argv quoted word by word. */
export function entrypointShell(entry: AppYaml['entrypoints'][string]): string {
  return entry.cmd ?? entry.commands!.map(shellWord).join(' ');
}

/** The launcher's files, relative to the build context's LAUNCHER_DIR. */
export function launcherFiles(app: AppYaml): Map<string, string> {
  const files = new Map<string, string>([['launch', LAUNCHER_SCRIPT]]);
  for (const [name, entry] of Object.entries(app.entrypoints)) files.set(`entrypoints/${name}`, entrypointShell(entry));
  return files;
}
