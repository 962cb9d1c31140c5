import { pino } from 'pino';
import { buildServer, type ServerOptions } from '../../api/server.js';
import { openBus } from '../../bus/index.js';
import { createCore, restoreSnapshot } from '../../core/index.js';
import { SnapshotSchema, type Snapshot } from '../../contract/backup.js';
import { parseWith } from '../../lib/validate.js';
import type { Credentials } from '../../lib/credentials.js';
import { EruError, ErrorCode } from '../../lib/errors.js';
import { openStore } from '../../store/index.js';

export interface CoreRunOptions {
  store: string;
  bus: string;
  /** TLS and a user for the store and the bus across a network. */
  storeCredentials: Credentials;
  busCredentials: Credentials;
  host: string;
  port: number;
  listen: string;
  advertise: string;
  /** A snapshot's text (eru store snapshot save) to write into the empty store before starting. */
  restore?: string;
  adminToken: string;
  nodeTtlSeconds: number;
  eventRetentionMs?: number;
  busBacklog?: number;
  allowSimulated?: boolean;
  registry?: string;
  bindRoots?: string[];
  copyLimit?: number;
  logLevel: string;
  /** Limits, /metrics access and TLS (api/server.ts). */
  server: ServerOptions;
}

/**
 * `eru core`, loaded on demand: the composition root of a running core. It opens the store and the
 * bus, creates the core, starts it (migrations, ledger check, recovery, liveness), then serves the API
 * until SIGTERM or SIGINT.
 */
export async function runCore(options: CoreRunOptions): Promise<void> {
  const log = pino({ level: options.logLevel });
  const store = openStore(options.store, options.storeCredentials);
  const bus = openBus(options.bus, options.busCredentials);
  if (options.restore !== undefined) {
    const snapshot = parseSnapshot(options.restore);
    const restored = await restoreSnapshot(store, snapshot);
    log.warn({ records: restored, takenAt: snapshot.createdAt, from: snapshot.store }, 'restored the store from a snapshot: run eru check --repair to meet what the hosts run');
  }
  const core = createCore({
    store,
    bus,
    adminToken: options.adminToken,
    nodeTtlSeconds: options.nodeTtlSeconds,
    ...(options.eventRetentionMs ? { eventRetentionMs: options.eventRetentionMs } : {}),
    ...(options.busBacklog ? { busBacklog: options.busBacklog } : {}),
    ...(options.allowSimulated ? { allowSimulated: true } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.bindRoots ? { bindRoots: options.bindRoots } : {}),
    ...(options.copyLimit !== undefined ? { copyLimit: options.copyLimit } : {}),
    advertise: options.advertise,
    log,
  });
  const app = await buildServer(core, log, options.server);
  await bus.ready();
  await core.start();
  app.addHook('onClose', () => core.stop());
  const shutdown = async (signal: string): Promise<void> => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    await bus.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await core.stop();
    await store.close();
    throw new EruError(ErrorCode.LISTEN_FAILED, `cannot listen on ${options.listen}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  app.log.info({ store: store.description, tls: Boolean(options.server.tls) }, 'eru core ready');
}

/** A snapshot file's text, checked: JSON of the right shape, or a clear error naming the flag. */
function parseSnapshot(text: string): Snapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new EruError(ErrorCode.INVALID_ARGUMENT, 'restore: the file is not JSON (a snapshot from eru store snapshot save)', { path: ['restore'] });
  }
  return parseWith(SnapshotSchema, data, ['restore']) as Snapshot;
}
