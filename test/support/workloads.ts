import { WorkloadSchema, type Workload } from '../../src/model/workload.js';

/** A recorded instance of `p/web/main` on `node` holding a tenth of core 0 (fields override). */
export function instance(id: string, node: string, fields: Partial<Workload> = {}): Workload {
  return WorkloadSchema.parse({
    pod: 'p',
    app: 'web',
    entry: 'main',
    image: 'img',
    id,
    node,
    placement: { cpuset: { '0': 10 }, pieces: 10, memory: 0 },
    cpuSettings: { cpusetCpus: '', cpuShares: 0, cpuQuota: 0, cpuPeriod: 100000 },
    createdAt: new Date().toISOString(),
    ...fields,
  });
}
