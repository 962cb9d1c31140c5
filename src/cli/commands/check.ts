import type { Command } from 'commander';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals } from '../options.js';

/** `eru check [--pod P] [--repair]`: drift between the store and the hosts, and its repair. */
export function registerCheck(program: Command): void {
  program
    .command('check')
    .description("compare the store with what each node's Docker runs (leaked and lost containers, ledgers, held addresses and ports, stuck intents, services off their count); --repair fixes what is safe to fix")
    .option('--pod <pod>', 'only this pod')
    .option('--repair', 'fix each finding in a guarded transaction (a leaked container only once two checks found it; duplicates are never guessed)')
    .action(
      action(async (options: { pod?: string; repair?: boolean }, cmd: Command) => {
        const report = await clientOf(cmd).check({ ...(options.pod ? { pod: options.pod } : {}), repair: Boolean(options.repair) });
        const open = report.findings.filter((f) => !f.repaired);
        if (globals(cmd).json) printJson(report);
        else {
          for (const [node, why] of Object.entries(report.skipped)) console.error(`skipped ${node}: ${why}`);
          if (report.findings.length > 0) {
            printTable([
              ['KIND', 'NODE', 'SUBJECT', 'WHAT', ...(report.repair ? ['REPAIR'] : [])],
              ...report.findings.map((f) => [f.kind, f.node ?? '-', f.subject, f.message, ...(report.repair ? [f.repaired ?? `left: ${f.left ?? '-'}`] : [])]),
            ]);
          }
          const repaired = report.findings.length - open.length;
          console.log(
            report.findings.length === 0
              ? `no drift: ${report.nodes.length} node(s) compared with the store`
              : `${report.findings.length} finding(s) on ${report.nodes.length} node(s)${report.repair ? `: ${repaired} repaired, ${open.length} left` : ' (eru check --repair fixes what is safe to fix)'}`,
          );
        }
        // Like a linter: non-zero while drift is left.
        if (open.length > 0) process.exitCode = 1;
      }),
    );
}
