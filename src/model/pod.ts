import { z } from 'zod';
import { SharebaseSchema } from './resources.js';
import { DnsLabelSchema } from './names.js';
import { SharedRootSchema } from './volume.js';

/** A pod: a named group of nodes, and the CPU granularity used on them. */
export const PodSchema = z.object({
  name: DnsLabelSchema,
  description: z.string().max(1024).default(''),
  sharebase: SharebaseSchema.default(100),
  maxshare: z.number().int().min(-1).default(-1),
  /** Nodes in the pod; kept on the pod so that removing a pod and adding a node cannot cross. */
  nodeCount: z.number().int().min(0).default(0),
  /** Where every node of the pod has its MooseFS mount (or a directory inside it), for shared volumes. */
  sharedRoot: SharedRootSchema.optional(),
  createdAt: z.string(),
});
export type Pod = z.infer<typeof PodSchema>;
