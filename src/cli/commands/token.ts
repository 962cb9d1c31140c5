import type { Command } from 'commander';
import type { TokenView } from '../../contract/tokens.js';
import { invalid } from '../../lib/errors.js';
import { action, printJson, printTable } from '../output.js';
import { clientOf, globals } from '../options.js';

const SCOPES = ['admin', 'viewer', 'deployer'];

/** `eru token add|ls|rm`: tokens with scopes; the secret is printed once, on stdout alone (for scripts). */
export function registerToken(program: Command): void {
  const token = program.command('token').description('tokens with scopes: admin, viewer (read only), deployer (its apps only); node tokens are listed too');

  token
    .command('add')
    .description('issue a token; prints the secret once (keep it: only its hash is stored)')
    .argument('<name>', 'a name for the token: who holds it (team-a-ci, dashboard…)')
    .requiredOption('--scope <scope>', 'admin, viewer or deployer')
    .option('--apps <apps>', 'for a deployer: the apps it may change, comma-separated')
    .option('--expires <duration>', 'expires after this long: 30d, 12h, 90m (default: never)')
    .action(
      action(async (name: string, options: { scope: string; apps?: string; expires?: string }, command: Command) => {
        if (!SCOPES.includes(options.scope)) throw invalid(['scope'], `"${options.scope}" is not a scope (${SCOPES.join(', ')})`);
        const apps = options.apps ? options.apps.split(',').map((a) => a.trim()).filter(Boolean) : [];
        const issued = await clientOf(command).tokens.create({ name, scope: options.scope as 'admin' | 'viewer' | 'deployer', apps, ...(options.expires ? { expires: options.expires } : {}) });
        if (globals(command).json) return printJson(issued);
        process.stderr.write(`token ${issued.name} (${issued.scope}${issued.apps.length > 0 ? ` for ${issued.apps.join(', ')}` : ''}${issued.expiresAt ? `, expires ${issued.expiresAt}` : ''}); shown once:\n`);
        console.log(issued.token);
      }),
    );

  token
    .command('ls')
    .description('every token: name, scope, apps or node, created, expires (never the secret)')
    .action(
      action(async (_options: unknown, command: Command) => {
        const tokens = await clientOf(command).tokens.list();
        if (globals(command).json) return printJson(tokens);
        printTable([['NAME', 'SCOPE', 'APPS / NODE', 'CREATED', 'EXPIRES'], ...tokens.map((t: TokenView) => [t.name, t.scope, t.scope === 'node' ? (t.node ?? '') : t.apps.join(',') || '-', t.createdAt, t.expiresAt ?? 'never'])]);
      }),
    );

  token
    .command('rm')
    .description('revoke a token: refused from its next call on')
    .argument('<name>')
    .action(
      action(async (name: string, _options: unknown, command: Command) => {
        const removed = await clientOf(command).tokens.remove(name);
        if (globals(command).json) return printJson(removed);
        console.log(`revoked ${removed.name} (${removed.scope})`);
      }),
    );
}
