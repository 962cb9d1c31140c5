import { createHash } from 'node:crypto';
import type { KeyValue, Store, TxnOp } from '../store/types.js';
import { WorkloadSpecSchema } from '../model/workload.js';

/**
 * Small workload records (issue 24: a million of them). What every instance of one deploy shares —
 * image, command, env, resources asked, ports, health check, hooks… (its WorkloadSpec but pod, app
 * and entry) — is stored once, content-addressed under `/eru/specs/{hash}`, and each workload record
 * keeps only what is its own (node, placement, addresses, CPU settings, container) and the spec's
 * hash. Written in the same transaction as the first record that uses it (this core remembers which
 * it wrote or read, and writes each once); joined back on every read, so nothing above the
 * repositories sees the difference. Records stored whole by older cores are read as they are.
 */
export const SPECS = '/eru/specs/';

const SHARED = Object.keys(WorkloadSpecSchema.shape).filter((field) => field !== 'pod' && field !== 'app' && field !== 'entry');
const IS_SHARED = new Set(SHARED);

/** A put of a workload record (or an intent) carries the specs it refers to, for the transaction to write if needed. */
export interface SpecCarrier {
  specs?: Array<{ key: string; value: string }>;
}

type StoredSpec = { key: string; value: string };

/**
 * The last specs made, with the values they were made of: a deploy's instances share their spec's
 * values (the same arrays and objects), so each is serialized and hashed once, not once per instance.
 */
const recent: Array<{ values: unknown[]; spec: StoredSpec }> = [];
const RECENT = 4;

function specOfValues(values: unknown[]): StoredSpec {
  const known = recent.find((r) => r.values.every((value, i) => value === values[i]));
  if (known) return known.spec;
  const shared: Record<string, unknown> = {};
  SHARED.forEach((field, i) => {
    if (values[i] !== undefined) shared[field] = values[i];
  });
  const value = JSON.stringify(shared);
  const spec = { key: SPECS + createHash('sha256').update(value).digest('base64url').slice(0, 22), value };
  recent.unshift({ values, spec });
  recent.length = Math.min(recent.length, RECENT);
  return spec;
}

/** A workload without its shared fields (and their spec's hash in their place), and the spec they make. */
function split(workload: Record<string, unknown>): { record: Record<string, unknown>; spec: StoredSpec } {
  const record: Record<string, unknown> = {};
  for (const field in workload) if (!IS_SHARED.has(field)) record[field] = workload[field];
  const spec = specOfValues(SHARED.map((field) => workload[field]));
  record.spec = spec.key.slice(SPECS.length);
  return { record, spec };
}

/** A workload record's put: the record without its shared fields, and the spec they make. */
export function splitWorkloadPut(key: string, workload: Record<string, unknown>): TxnOp & SpecCarrier {
  const { record, spec } = split(workload);
  return { type: 'put', key, value: JSON.stringify(record), specs: [spec] };
}

/**
 * An intent's put: its workloads stored as their records are (a deploy's part carries up to a few
 * dozen instances of one spec, written with the reservation and deleted at the commit).
 */
export function splitIntentPut(key: string, intent: Record<string, unknown> & { workloads: Array<Record<string, unknown>> }): TxnOp & SpecCarrier {
  const parts = intent.workloads.map(split);
  const specs = new Map(parts.map((p) => [p.spec.key, p.spec]));
  return { type: 'put', key, value: JSON.stringify({ ...intent, workloads: parts.map((p) => p.record) }), specs: [...specs.values()] };
}

/** The specs this core knows are stored, by hash, with their values (a few per service version: kept). */
export class SpecCache {
  private readonly specs = new Map<string, Record<string, unknown>>();

  /** The spec puts a transaction needs: those of its workload puts this core has not seen stored. */
  needed(ops: readonly TxnOp[]): TxnOp[] {
    const needed = new Map<string, string>();
    for (const op of ops) {
      for (const spec of (op as SpecCarrier).specs ?? []) if (!this.specs.has(spec.key.slice(SPECS.length))) needed.set(spec.key, spec.value);
    }
    return [...needed].map(([key, value]) => ({ type: 'put', key, value }));
  }

  /** After a transaction held: its specs are stored. */
  written(ops: readonly TxnOp[]): void {
    for (const op of ops) if (op.type === 'put' && op.key.startsWith(SPECS)) this.specs.set(op.key.slice(SPECS.length), JSON.parse(op.value) as Record<string, unknown>);
  }

  /** Before records are decoded: the specs they refer to that this core has not read yet, read at once. */
  async load(store: Store, kvs: ReadonlyArray<Pick<KeyValue, 'value'> | null>): Promise<void> {
    const missing = new Set<string>();
    for (const kv of kvs) {
      for (const hash of kv ? specsNamed(kv.value) : []) if (!this.specs.has(hash)) missing.add(hash);
    }
    if (missing.size === 0) return;
    const hashes = [...missing];
    const found = await store.getMany(hashes.map((hash) => SPECS + hash));
    found.forEach((kv, i) => {
      if (kv) this.specs.set(hashes[i]!, JSON.parse(kv.value) as Record<string, unknown>);
    });
  }

  /** A stored intent with its workloads whole again. */
  joinIntent(raw: unknown): unknown {
    const intent = raw as { workloads?: unknown[] } | null;
    return Array.isArray(intent?.workloads) ? { ...intent, workloads: intent.workloads.map((w) => this.join(w)) } : raw;
  }

  /** A stored record whole again (one stored whole passes as it is). */
  join(raw: unknown): unknown {
    if (raw === null || typeof raw !== 'object' || typeof (raw as { spec?: unknown }).spec !== 'string') return raw;
    const { spec: hash, ...own } = raw as Record<string, unknown> & { spec: string };
    const spec = this.specs.get(hash);
    // Read by load() before decoding; absent only if the store lost it: the record then fails validation, saying so.
    return spec ? { ...spec, ...own } : { ...own, spec: `missing spec ${hash}` };
  }
}

/** The spec hashes a stored record (or intent) names, without parsing it whole (a record stored whole names none). */
function specsNamed(value: string): Set<string> {
  return new Set(Array.from(value.matchAll(/"spec":"([A-Za-z0-9_-]{22})"/g), (match) => match[1]!));
}
