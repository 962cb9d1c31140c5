import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { eruHome } from '../config.js';
import { parseHostPort } from '../../lib/address.js';
import type { Credentials } from '../../lib/credentials.js';
import { invalid } from '../../lib/errors.js';
import { parseMemory } from '../../lib/units.js';
import { action } from '../output.js';
import { collect, globals, readTextFile, wholeNumber } from '../options.js';
import { durationMs } from '../../lib/time.js';
import { DEFAULT_RATE_LIMIT } from '../../contract/constants.js';

interface CoreOptions {
  advertise?: string;
  restore?: string;
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
  requestTimeout: string;
  eventRetention: string;
  busBacklog?: number;
  rateLimit: number;
  publicMetrics?: boolean;
  allowSimulated?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  storeCa?: string;
  storeCert?: string;
  storeKey?: string;
  storeUser?: string;
  storePasswordFile?: string;
  busCa?: string;
  busCert?: string;
  busKey?: string;
  busUser?: string;
  busPasswordFile?: string;
}

/** `eru core`: the stateless logic core. Any number may run against one etcd. */
export function registerCore(program: Command): void {
  program
    .command('core')
    .description('run the Eru core: the API, scheduling and the resource ledger (admin token: --token, --token-file or ERU_TOKEN)')
    .option('--store <url>', 'embedded:PATH (one machine), etcd://HOST:PORT[,HOST:PORT...] or etcds://… (TLS)', `embedded:${join(eruHome(), 'eru.db')}`)
    .option('--bus <url>', 'memory (one machine), redis://HOST:PORT, redis-cluster://HOST:PORT,HOST:PORT,… (a Redis Cluster), or rediss:// forms (TLS): where every change is broadcast', 'memory')
    .option('--listen <addr>', 'address to serve the API on', '127.0.0.1:5001')
    .option('--restore <file>', 'first write this snapshot (eru store snapshot save) into the store, which must be empty; then eru check --repair')
    .option('--advertise <url>', 'where clients reach this core, listed by GET /v1/cores so clients learn it (default: the --listen address)')
    .option('--token-file <file>', 'file holding the admin token')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .option('--registry <host:port>', 'push builds to this registry and pull them on nodes (default: copy images node to node)')
    .option('--bind-root <dir>', `a host directory app.yaml binds may use (repeat for more; default /srv/eru and /var/log/eru)`, collect)
    .option('--copy-limit <size>', 'most an eru cp may carry into or out of a container', '512MiB')
    .option('--node-ttl <seconds>', 'a node is down after this long without a heartbeat from its agent', wholeNumber('node-ttl'), 10)
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .option('--tls-client-ca <file>', 'also require a client certificate signed by this CA (PEM)')
    .option('--request-timeout <duration>', 'a request body must arrive within this (plus 1s per MiB)', '30s')
    .option('--event-retention <duration>', 'how long the event log keeps events for replays (GET /v1/events?since=, clients resuming a watch)', '1h')
    .option('--bus-backlog <n>', 'events held in memory while the bus is down (default 10000); past that they are read from the event log again once it is back', wholeNumber('bus-backlog'))
    .option('--rate-limit <n>', 'requests a second per token, bursts of ten times that; 0: no limit', wholeNumber('rate-limit'), DEFAULT_RATE_LIMIT)
    .option('--store-ca <file>', "the CA of etcd's certificate (etcds://)")
    .option('--store-cert <file>', 'a client certificate for etcd (with --store-key)')
    .option('--store-key <file>', "the client certificate's key")
    .option('--store-user <user>', 'an etcd user (etcd auth); its password from --store-password-file or ERU_STORE_PASSWORD')
    .option('--store-password-file <file>', "a file holding the etcd user's password")
    .option('--bus-ca <file>', "the CA of Redis's certificate (rediss://)")
    .option('--bus-cert <file>', 'a client certificate for Redis (with --bus-key)')
    .option('--bus-key <file>', "the client certificate's key")
    .option('--bus-user <user>', 'a Redis ACL user; its password from --bus-password-file or ERU_BUS_PASSWORD')
    .option('--bus-password-file <file>', "a file holding the Redis password")
    .option('--public-metrics', '/metrics without a token (else any token but a node\'s)')
    .option('--allow-simulated', 'take nodes on simulated engines (sim://NAME?cores=48&memory=192GiB): for measuring the control plane only (npm run bench:c1m)')
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
          storeCredentials: credentialsOf(options, 'store'),
          busCredentials: credentialsOf(options, 'bus'),
          host,
          port,
          listen: options.listen,
          advertise: advertised(options, host, port),
          ...(options.restore ? { restore: readTextFile('restore', options.restore) } : {}),
          adminToken: token,
          nodeTtlSeconds: options.nodeTtl,
          eventRetentionMs: duration(options.eventRetention, 'event-retention'),
          ...(options.busBacklog ? { busBacklog: options.busBacklog } : {}),
          ...(options.allowSimulated ? { allowSimulated: true } : {}),
          ...(options.registry ? { registry: options.registry } : {}),
          ...(bindRoots ? { bindRoots } : {}),
          ...(options.copyLimit ? { copyLimit: parseMemory(options.copyLimit, ['copy-limit']) } : {}),
          logLevel: options.logLevel,
          server: {
            requestTimeoutMs: duration(options.requestTimeout, 'request-timeout'),
            rateLimit: options.rateLimit,
            publicMetrics: Boolean(options.publicMetrics),
            ...tlsOf(options),
          },
        });
      }),
    );
}

/** The URL clients reach this core at: --advertise, or the listen address (this host's name when it listens on every address). */
function advertised(options: CoreOptions, host: string, port: number): string {
  if (options.advertise) {
    if (!/^https?:\/\/[^/\s]+$/.test(options.advertise.replace(/\/+$/, ''))) throw invalid(['advertise'], `"${options.advertise}" is not a URL such as https://core1.example:5001`);
    return options.advertise.replace(/\/+$/, '');
  }
  const scheme = options.tlsCert ? 'https' : 'http';
  const name = host === '0.0.0.0' || host === '::' ? hostname() : host.includes(':') ? `[${host}]` : host;
  return `${scheme}://${name}:${port}`;
}

function duration(text: string, flag: string): number {
  if (!/^\d{1,6}[smh]$/.test(text) || durationMs(text) === 0) throw invalid([flag], `"${text}" is not a duration such as 30s, 2m or 1h`);
  return durationMs(text);
}

/** A PEM file holding what its flag needs (a certificate or a key), read now so a wrong path fails before anything starts. */
function pemFile(path: string, flag: string, what: 'CERTIFICATE' | 'PRIVATE KEY'): string {
  const text = readTextFile(flag, path);
  if (!new RegExp(`-----BEGIN [A-Z ]*${what}-----`).test(text)) throw invalid([flag], `${path} holds no PEM ${what.toLowerCase()}`);
  return text;
}

/** The store's or bus's CA, client certificate and user, read from the files named; the password from its file or the environment (never the command line). */
function credentialsOf(options: CoreOptions, of: 'store' | 'bus'): Credentials {
  const ca = options[`${of}Ca`];
  const cert = options[`${of}Cert`];
  const key = options[`${of}Key`];
  const user = options[`${of}User`];
  const passwordFile = options[`${of}PasswordFile`];
  const password = passwordFile ? readTextFile(`${of}-password-file`, passwordFile).trim() : process.env[of === 'store' ? 'ERU_STORE_PASSWORD' : 'ERU_BUS_PASSWORD'];
  return {
    ...(ca ? { ca: pemFile(ca, `${of}-ca`, 'CERTIFICATE') } : {}),
    ...(cert ? { cert: pemFile(cert, `${of}-cert`, 'CERTIFICATE') } : {}),
    ...(key ? { key: pemFile(key, `${of}-key`, 'PRIVATE KEY') } : {}),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
  };
}

/** The certificate, key and client CA given, read (PEM); both of cert and key or neither. */
function tlsOf(options: CoreOptions): { tls?: { cert: string; key: string; clientCa?: string } } {
  if (!options.tlsCert && !options.tlsKey) {
    if (options.tlsClientCa) throw invalid(['tls-client-ca'], '--tls-client-ca needs --tls-cert and --tls-key');
    return {};
  }
  if (!options.tlsCert || !options.tlsKey) throw invalid([options.tlsCert ? 'tls-key' : 'tls-cert'], 'HTTPS needs both --tls-cert and --tls-key');
  return {
    tls: {
      cert: pemFile(options.tlsCert, 'tls-cert', 'CERTIFICATE'),
      key: pemFile(options.tlsKey, 'tls-key', 'PRIVATE KEY'),
      ...(options.tlsClientCa ? { clientCa: pemFile(options.tlsClientCa, 'tls-client-ca', 'CERTIFICATE') } : {}),
    },
  };
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

