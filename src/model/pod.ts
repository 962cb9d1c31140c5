import { z } from 'zod';
import { MemorySizeSchema } from '../lib/validate.js';
import { SharebaseSchema } from './resources.js';
import { DnsLabelSchema } from './names.js';
import { SharedRootSchema } from './volume.js';

export const DEFAULT_PIDS_LIMIT = 4096;

/** A pod: a named group of nodes, the CPU granularity used on them, and what their workloads get by default. */
export const PodSchema = z.object({
  name: DnsLabelSchema,
  description: z.string().max(1024).default(''),
  sharebase: SharebaseSchema.default(100),
  maxshare: z.number().int().min(-1).default(-1),
  /** Nodes in the pod; kept on the pod so that removing a pod and adding a node cannot cross. */
  nodeCount: z.number().int().min(0).default(0),
  /** Where every node of the pod has its MooseFS mount (or a directory inside it), for shared volumes. */
  sharedRoot: SharedRootSchema.optional(),
  /** Most processes a workload may have (a fork bomb stops there). */
  pidsLimit: z.number().int().min(16).max(4_194_304).default(DEFAULT_PIDS_LIMIT),
  /** The memory limit of a workload that declares none (0: none); what a deploy asks for wins. */
  defaultMemory: MemorySizeSchema.default(0),
  createdAt: z.string(),
});
export type Pod = z.infer<typeof PodSchema>;
