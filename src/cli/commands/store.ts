import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, printJson } from '../output.js';
import { clientOf, globals } from '../options.js';

/** `eru store snapshot save FILE`: the store at one revision, to restore with `eru core --restore FILE`. */
export function registerStore(program: Command): void {
  const store = program.command('store').description("the core's store: snapshots to restore from");
  store
    .command('snapshot')
    .description('snapshots of the store (etcd: etcdctl snapshot does the same at its level)')
    .command('save')
    .description('write every record of the store, at one revision, to FILE (mode 600: it holds token hashes and env values)')
    .argument('<file>')
    .action(
      action(async (file: string, _options: unknown, cmd: Command) => {
        const snapshot = await clientOf(cmd).snapshot();
        writeFileSync(file, `${JSON.stringify(snapshot)}\n`, { mode: 0o600 });
        if (globals(cmd).json) return printJson({ file, records: snapshot.records.length, createdAt: snapshot.createdAt });
        console.log(`${snapshot.records.length} records of ${snapshot.store} saved to ${file}; restore with eru core --restore ${file} on an empty store, then eru check --repair`);
      }),
    );
}
