import { z } from 'zod';
import { DnsLabelSchema } from '../model/names.js';

/** Every kind of drift `eru check` looks for between the store and the hosts. */
export const DRIFT_KINDS = ['leaked', 'lost', 'ledger', 'address', 'port', 'intent', 'service'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

/** `POST /v1/check`: compare the store with what Docker runs, in one pod or all; with `repair`, fix what can be fixed. */
export const CheckBodySchema = z.object({ pod: DnsLabelSchema.optional(), repair: z.boolean().default(false) }).strict();
export type CheckBody = z.infer<typeof CheckBodySchema>;

/** One difference found, and what `--repair` did about it (or why it left it). */
export const FindingSchema = z.object({
  kind: z.enum(DRIFT_KINDS),
  node: z.string().optional(),
  /** What it is about: a container, a workload, an address `net/ip`, a port `node/port-proto`, an intent, a service. */
  subject: z.string(),
  message: z.string(),
  /** With --repair: what was done, e.g. `removed`, `forgotten`, `recomputed`; absent when nothing was. */
  repaired: z.string().optional(),
  /** Why it was left as it is (seen leaked once only, a duplicate is never guessed, the keeper converges it). */
  left: z.string().optional(),
});
export type Finding = z.infer<typeof FindingSchema>;

export const CheckReportSchema = z.object({
  at: z.string(),
  repair: z.boolean(),
  /** Nodes whose containers were compared. */
  nodes: z.array(z.string()),
  /** Nodes left out: down, gone, or their Docker did not answer (with why). */
  skipped: z.record(z.string(), z.string()),
  findings: z.array(FindingSchema),
  /** Findings by kind (every kind listed, 0 when clean). */
  counts: z.record(z.string(), z.number().int()),
});
export type CheckReport = z.infer<typeof CheckReportSchema>;
