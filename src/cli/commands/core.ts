import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { eruHome } from '../config.js';
import { parseHostPort } from '../../lib/address.js';
import { invalid } from '../../lib/errors.js';
import { parseMemory } from '../../lib/units.js';
import { action } from '../output.js';
import { collect, globals, wholeNumber } from '../options.js';

interface CoreOptions {
  store: string;
  bus: string;
  listen: string;
  token?: string;
  tokenFile?: string;
  logLevel: string;
  nodeTtl: number;
  registry?: string;
  bindRoot?: string[];
  copyLimit?: string;
}

/** `eru core`: the stateless logic core. Any number may run against one etcd. */
export function registerCore(program: Command): void {
  program
    .command('core')
    .description('run the Eru core: the API, scheduling and the resource ledger (admin token: --token, --token-file or ERU_TOKEN)')
    .option('--store <url>', 'embedded:PATH (one machine) or etcd://HOST:PORT[,HOST:PORT...]', `embedded:${join(eruHome(), 'eru.db')}`)
    .option('--bus <url>', 'memory (one machine) or redis://HOST:PORT: where every change is broadcast', 'memory')
    .option('--listen <addr>', 'address to serve the API on', '127.0.0.1:5001')
    .option('--token-file <file>', 'file holding the admin token')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--registry <host:port>', 'push builds to this registry and pull them on nodes (default: copy images node to node)')
    .option('--bind-root <dir>', `a host directory app.yaml binds may use (repeat for more; default /srv/eru and /var/log/eru)`, collect)
    .option('--copy-limit <size>', 'most an eru cp may carry into or out of a container', '512MiB')
    .option('--node-ttl <seconds>', 'a node is down after this long without a heartbeat from its agent', wholeNumber('node-ttl'), 10)
    .action(
      action(async (options: CoreOptions, command: Command) => {
        // --token is a global option (the clients' too): here it is the admin token to accept.
        const token = adminToken({ ...options, token: globals(command).token });
        const [host, port] = parseHostPort(options.listen, 'listen');
        if (options.registry && !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(options.registry)) throw invalid(['registry'], `cannot read "${options.registry}" (HOST:PORT of a registry, e.g. 127.0.0.1:5000)`);
        const bindRoots = options.bindRoot?.map((dir) => bindRoot(dir));
        const { runCore } = await import('../run/core.js');
        await runCore({
          store: options.store,
          bus: options.bus,
          host,
          port,
          listen: options.listen,
          adminToken: token,
          nodeTtlSeconds: options.nodeTtl,
          ...(options.registry ? { registry: options.registry } : {}),
          ...(bindRoots ? { bindRoots } : {}),
          ...(options.copyLimit ? { copyLimit: parseMemory(options.copyLimit, ['copy-limit']) } : {}),
          logLevel: options.logLevel,
        });
      }),
    );
}

/** An absolute directory, without a trailing slash; `/` itself would let apps bind anything. */
function bindRoot(dir: string): string {
  const clean = dir.replace(/\/+$/, '');
  if (!/^\/[A-Za-z0-9._/-]+$/.test(clean) || clean.split('/').includes('..')) throw invalid(['bind-root'], `"${dir}" is not an absolute directory below / (letters, digits, . _ / -)`);
  return clean;
}

function adminToken(options: CoreOptions): string {
  let token = options.token ?? process.env.ERU_TOKEN;
  if (!token && options.tokenFile) {
    try {
      token = readFileSync(options.tokenFile, 'utf8').trim();
    } catch (error) {
      throw invalid(['token-file'], `cannot read ${options.tokenFile}: ${(error as NodeJS.ErrnoException).code}`);
    }
  }
  if (!token) throw invalid(['token'], 'the core needs an admin token: --token, --token-file or ERU_TOKEN');
  if (token.length < 16) throw invalid(['token'], 'an admin token has at least 16 characters');
  return token;
}

