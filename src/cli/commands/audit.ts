import type { Command } from 'commander';
import type { AuditEntry } from '../../contract/audit.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals, wholeNumber } from '../options.js';

/** `eru audit`: who changed what, when, and how it ended. */
export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('every change asked of the core, newest first: when, which token, what, on what, how it ended (admin)')
    .option('--since <when>', 'only since: a duration back from now (30m, 12h, 7d) or an ISO time')
    .option('--app <app>', "only what concerned this app")
    .option('--by <token>', 'only what the token of this name did')
    .option('--limit <n>', 'at most this many entries', wholeNumber('limit'), 100)
    .action(
      action(async (options: { since?: string; app?: string; by?: string; limit: number }, command: Command) => {
        const entries = await clientOf(command).audit.list({
          limit: options.limit,
          ...(options.since ? { since: options.since } : {}),
          ...(options.app ? { app: options.app } : {}),
          ...(options.by ? { token: options.by } : {}),
        });
        if (globals(command).json) return printJson(entries);
        printTable([['TIME', 'TOKEN', 'ACTION', 'TARGET', 'APP', 'OUTCOME'], ...entries.map((e: AuditEntry) => [e.time, `${e.token} (${e.scope})`, e.action, targetOf(e), e.app ?? '-', outcomeOf(e)])]);
      }),
    );
}

function targetOf(entry: AuditEntry): string {
  return Object.entries(entry.target).map(([key, value]) => `${key}=${value}`).join(' ') || '-';
}

function outcomeOf(entry: AuditEntry): string {
  return entry.error ? `${entry.outcome} ${entry.status} ${entry.error.code}: ${entry.error.message}` : `${entry.outcome} ${entry.status}`;
}
