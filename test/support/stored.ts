import type { KeyValue } from '../../src/store/types.js';
import { WorkloadSchema, type Workload } from '../../src/model/workload.js';

/**
 * The workload records of one raw range of the store (`/eru/`, one revision), whole: each record
 * keeps what its deploy's instances share under `/eru/specs/{hash}` (core/specs.ts), which the same
 * range holds.
 */
export function storedWorkloads(kvs: readonly KeyValue[]): Workload[] {
  const specs = new Map(kvs.filter((kv) => kv.key.startsWith('/eru/specs/')).map((kv) => [kv.key.slice('/eru/specs/'.length), JSON.parse(kv.value) as Record<string, unknown>]));
  return kvs
    .filter((kv) => kv.key.startsWith('/eru/workloads/'))
    .map((kv) => {
      const { spec, ...own } = JSON.parse(kv.value) as Record<string, unknown> & { spec?: unknown };
      const shared = typeof spec === 'string' ? specs.get(spec) : undefined;
      if (typeof spec === 'string' && !shared) throw new Error(`${kv.key} names spec ${spec}, which the store does not hold`);
      return WorkloadSchema.parse({ ...shared, ...own });
    });
}
