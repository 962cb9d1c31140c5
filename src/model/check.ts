import { z } from 'zod';

/**
 * A container `eru check` found leaked (no record or intent claims it), kept until a later check:
 * only a container seen leaked by two checks is removed, so a deploy between its intent and its
 * record is never mistaken for a leak (Kubernetes' IP repair waits likewise).
 */
export const LeakSuspectSchema = z.object({ node: z.string(), workload: z.string().optional(), firstSeen: z.string() });
export type LeakSuspect = z.infer<typeof LeakSuspectSchema>;
