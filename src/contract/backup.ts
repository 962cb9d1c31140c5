import { z } from 'zod';

/**
 * `GET /v1/store/snapshot`: every record of the store at one revision — pods, nodes, ledgers,
 * workloads, apps, tokens (as hashes), networks, services, rollouts… — without what lives only with a
 * lease (live cores, the leader, alive nodes), which the running system makes again. `eru core
 * --restore FILE` writes it into an empty store; `eru check --repair` then meets what the hosts run.
 */
export const SnapshotSchema = z.object({
  format: z.literal('eru-snapshot/1'),
  createdAt: z.string(),
  /** The store it was taken from, for people. */
  store: z.string(),
  records: z.array(z.object({ key: z.string().startsWith('/eru/'), value: z.string() })),
});
export type Snapshot = z.infer<typeof SnapshotSchema>;
