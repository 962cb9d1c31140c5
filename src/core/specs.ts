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

/** A put of a workload record carries the spec it refers to, for the transaction to write if needed. */
export interface SpecCarrier {
  spec?: { key: string; value: string };
}

/** A workload record's put: the record without its shared fields, and the spec they make. */
export function splitWorkloadPut(key: string, workload: Record<string, unknown>): TxnOp & SpecCarrier {
  const record: Record<string, unknown> = {};
  const spec: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(workload)) {
    if (SHARED.includes(field)) spec[field] = value;
    else record[field] = value;
  }
  const specJson = JSON.stringify(spec);
  const hash = createHash('sha256').update(specJson).digest('base64url').slice(0, 22);
  return { type: 'put', key, value: JSON.stringify({ ...record, spec: hash }), spec: { key: SPECS + hash, value: specJson } };
}

/** The specs this core knows are stored, by hash, with their values (a few per service version: kept). */
export class SpecCache {
  private readonly specs = new Map<string, Record<string, unknown>>();

  /** The spec puts a transaction needs: those of its workload puts this core has not seen stored. */
  needed(ops: readonly TxnOp[]): TxnOp[] {
    const needed = new Map<string, string>();
    for (const op of ops) {
      const spec = (op as SpecCarrier).spec;
      if (spec && !this.specs.has(spec.key.slice(SPECS.length))) needed.set(spec.key, spec.value);
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
      const hash = kv && specOf(kv.value);
      if (hash && !this.specs.has(hash)) missing.add(hash);
    }
    if (missing.size === 0) return;
    const hashes = [...missing];
    const found = await store.getMany(hashes.map((hash) => SPECS + hash));
    found.forEach((kv, i) => {
      if (kv) this.specs.set(hashes[i]!, JSON.parse(kv.value) as Record<string, unknown>);
    });
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

/** The spec hash a stored record names, without parsing it whole (a record stored whole has none). */
function specOf(value: string): string | undefined {
  const match = /"spec":"([A-Za-z0-9_-]{22})"/.exec(value);
  return match?.[1];
}
