import { Etcd3, Range, type IKeyValue, type IRequestOp, type Watcher } from 'etcd3';
import { rootCertificates } from 'node:tls';
import type { Credentials } from '../lib/credentials.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import type { Compare, KeyValue, Lease, RangeOptions, Store, TxnOp, TxnResult, Watch, WatchEvent } from './types.js';

/** Keys per range request, and key names per keys-only request. */
const PAGE_SIZE = 1000;
/** Reads in one transaction: etcd's default limit on its operations. */
const TXN_READS = 128;
const KEY_PAGE_SIZE = 10_000;

/** The cluster store: a real etcd through the `etcd3` client. */
/**
 * The etcd client stops calling a member after failures (a circuit breaker, open for 5 s). When every
 * member's is open — all were unreachable a moment ago, as when the quorum was lost — a call fails at
 * once even though the cluster is back: it is tried again, briefly, until the deadline.
 */
async function retryWhileBroken<T>(run: () => Promise<T>, until: number): Promise<T> {
  for (;;) {
    try {
      return await run();
    } catch (error) {
      if (!/circuit breaker is open/i.test((error as Error).message ?? '') || Date.now() + 250 >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** How long one store call may take before the core answers 503 (a guarded write that lands later is seen by the next read). */
const CALL_DEADLINE_MS = 5000;

export class EtcdStore implements Store {
  readonly description: string;
  private readonly client: Etcd3;

  /** Over TLS (`etcds://`) the server is checked against `credentials.ca` (else the system's CAs). */
  constructor(hosts: string[], tls = false, credentials: Credentials = {}) {
    this.description = `${tls ? 'etcds' : 'etcd'}://${hosts.join(',')}${credentials.user ? ` as ${credentials.user}` : ''}`;
    this.client = new Etcd3({
      hosts: hosts.map((h) => `${tls ? 'https' : 'http'}://${h}`),
      dialTimeout: 5000,
      ...(tls
        ? {
            credentials: {
              rootCertificate: credentials.ca ? Buffer.from(credentials.ca) : tlsRootCertificates(),
              ...(credentials.cert && credentials.key ? { certChain: Buffer.from(credentials.cert), privateKey: Buffer.from(credentials.key) } : {}),
            },
          }
        : {}),
      ...(credentials.user && credentials.password ? { auth: { username: credentials.user, password: credentials.password } } : {}),
    });
  }

  async get(key: string): Promise<KeyValue | null> {
    const response = await this.call(() => this.client.get(key).exec());
    const kv = response.kvs[0];
    return kv ? toKeyValue(kv) : null;
  }

  /**
   * In pages (a response stays under gRPC's 4 MiB limit however large the prefix), each page read at
   * the first page's revision, so the whole is one consistent read.
   */
  async range(prefix: string, options: RangeOptions = {}): Promise<KeyValue[]> {
    const end = Range.prefix(prefix).end;
    const found: KeyValue[] = [];
    let start = options.startAfter !== undefined && options.startAfter >= prefix ? Buffer.concat([Buffer.from(options.startAfter), Buffer.from([0])]) : Buffer.from(prefix);
    let atRevision: string | undefined;
    for (;;) {
      const wanted = Math.min(options.pageSize ?? PAGE_SIZE, options.limit !== undefined ? options.limit - found.length : Infinity);
      const response = await this.call(() => {
        const query = this.client.getAll().inRange(new Range(start, end)).limit(wanted);
        if (atRevision !== undefined) query.revision(atRevision);
        if (options.after !== undefined) query.minModRevision(options.after + 1);
        return query.exec();
      });
      atRevision ??= String(response.header.revision);
      found.push(...response.kvs.map(toKeyValue));
      const last = response.kvs.at(-1);
      if (!response.more || !last || (options.limit !== undefined && found.length >= options.limit)) return found;
      start = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  async rangeKeys(prefix: string): Promise<string[]> {
    const end = Range.prefix(prefix).end;
    const found: string[] = [];
    let start = Buffer.from(prefix);
    for (;;) {
      const page = await this.call(() => this.client.getAll().inRange(new Range(start, end)).limit(KEY_PAGE_SIZE).keys());
      found.push(...page);
      if (page.length < KEY_PAGE_SIZE) return found;
      start = Buffer.concat([Buffer.from(page.at(-1)!), Buffer.from([0])]);
    }
  }

  async getMany(keys: readonly string[]): Promise<Array<KeyValue | null>> {
    const found: Array<KeyValue | null> = [];
    // A transaction of reads only: as many as etcd takes in one (--max-txn-ops, 128 by default).
    for (let i = 0; i < keys.length; i += TXN_READS) {
      const chunk = keys.slice(i, i + TXN_READS);
      const response = await this.call(() => this.client.kv.txn({ compare: [], success: chunk.map((key) => ({ request_range: { key: Buffer.from(key) } })), failure: [] }));
      for (const answer of response.responses) {
        const kv = answer.response_range?.kvs[0];
        found.push(kv ? toKeyValue(kv) : null);
      }
    }
    return found;
  }

  async put(key: string, value: string, options: { lease?: string } = {}): Promise<number> {
    return (await this.txn([], [{ type: 'put', key, value, lease: options.lease }])).revision;
  }

  async delete(key: string): Promise<boolean> {
    const response = await this.call(() => this.client.delete().key(key).exec());
    return Number(response.deleted) > 0;
  }

  async txn(compares: Compare[], ops: TxnOp[]): Promise<TxnResult> {
    const success: IRequestOp[] = ops.map((op) =>
      op.type === 'put'
        ? { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value), ...(op.lease ? { lease: op.lease } : {}) } }
        : { request_delete_range: { key: Buffer.from(op.key) } },
    );
    const response = await this.call(() =>
      this.client.kv.txn({
        compare: compares.map((c) => ({ key: Buffer.from(c.key), target: 'Mod', result: 'Equal', mod_revision: String(c.modRevision) })),
        success,
        failure: [],
      }),
    );
    return { succeeded: response.succeeded, revision: Number(response.header.revision) };
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const lease = this.client.lease(ttlSeconds, { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    const id = await this.call(() => lease.grant());
    return {
      id,
      ttlSeconds,
      keepAlive: async () => {
        const answer = await this.call(() => lease.keepaliveOnce());
        // etcd answers a keep-alive for a lease it no longer has with a TTL of 0.
        if (Number(answer.TTL) <= 0) throw new EruError(ErrorCode.LEASE_NOT_FOUND, `lease ${id} has expired`);
      },
      revoke: async () => {
        await this.call(() => this.client.leaseClient.leaseRevoke({ ID: id }));
      },
    };
  }

  async watch(prefix: string, onEvent: (event: WatchEvent) => void): Promise<Watch> {
    const watcher: Watcher = await this.call(() => this.client.watch().prefix(prefix).create());
    watcher.on('data', (response) => {
      for (const event of response.events) {
        const kv = event.kv;
        const change: WatchEvent =
          event.type === 'Put'
            ? { type: 'put', key: kv.key.toString(), value: kv.value.toString(), revision: Number(kv.mod_revision) }
            : { type: 'delete', key: kv.key.toString(), revision: Number(kv.mod_revision) };
        try {
          onEvent(change);
        } catch {
          // A watcher's failure is its own.
        }
      }
    });
    watcher.on('error', () => undefined);
    return { close: () => watcher.cancel() };
  }

  /**
   * One call, with a deadline: an etcd that lost its quorum holds calls for long, and a core that
   * waits with them cannot say it is unavailable (503) so that its clients move to another core.
   */
  private async call<T>(run: () => Promise<T>, deadlineMs = CALL_DEADLINE_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        retryWhileBroken(run, Date.now() + deadlineMs),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs / 1000} s (has etcd lost its quorum?)`)), deadlineMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof EruError) throw error;
      throw new EruError(ErrorCode.STORE_UNAVAILABLE, `store ${this.description}: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function toKeyValue(kv: IKeyValue): KeyValue {
  const lease = String(kv.lease);
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
    ...(lease !== '0' ? { lease } : {}),
  };
}

/** The CAs Node trusts, as one PEM bundle (gRPC wants the roots given). */
function tlsRootCertificates(): Buffer {
  return Buffer.from(rootCertificates.join('\n'));
}
