import type { KeyValue } from '../../src/store/types.js';
import { WorkloadSchema, type Workload } from '../../src/model/workload.js';
import { IntentSchema, type Intent } from '../../src/model/intent.js';

/**
 * The workload records of one raw range of the store (`/eru/`, one revision), whole: each record
 * keeps what its deploy's instances share under `/eru/specs/{hash}` (core/specs.ts), which the same
 * range holds.
 */
export function storedWorkloads(kvs: readonly KeyValue[]): Workload[] {
  const whole = joiner(kvs);
  return kvs.filter((kv) => kv.key.startsWith('/eru/workloads/')).map((kv) => WorkloadSchema.parse(whole(kv.key, JSON.parse(kv.value) as Record<string, unknown>)));
}

/** The intents of one raw range, their workloads whole (stored as workload records are). */
export function storedIntents(kvs: readonly KeyValue[]): Intent[] {
  const whole = joiner(kvs);
  return kvs
    .filter((kv) => kv.key.startsWith('/eru/intents/'))
    .map((kv) => {
      const intent = JSON.parse(kv.value) as { workloads: Array<Record<string, unknown>> };
      return IntentSchema.parse({ ...intent, workloads: intent.workloads.map((w) => whole(kv.key, w)) });
    });
}

function joiner(kvs: readonly KeyValue[]): (key: string, stored: Record<string, unknown>) => Record<string, unknown> {
  const specs = new Map(kvs.filter((kv) => kv.key.startsWith('/eru/specs/')).map((kv) => [kv.key.slice('/eru/specs/'.length), JSON.parse(kv.value) as Record<string, unknown>]));
  return (key, stored) => {
    const { spec, ...own } = stored;
    const shared = typeof spec === 'string' ? specs.get(spec) : undefined;
    if (typeof spec === 'string' && !shared) throw new Error(`${key} names spec ${spec}, which the store does not hold`);
    return { ...shared, ...own };
  };
}
