import { WorkloadSpecSchema, type Workload, type WorkloadSpec } from '../../model/workload.js';

const SPEC_FIELDS = Object.keys(WorkloadSpecSchema.shape) as Array<keyof WorkloadSpec>;

/** What an instance was asked to be (the spec), without where it went and what it got there. */
export function specOf(workload: Workload): WorkloadSpec {
  const spec: Record<string, unknown> = {};
  for (const field of SPEC_FIELDS) if (workload[field] !== undefined) spec[field] = workload[field];
  return WorkloadSpecSchema.parse(spec);
}
