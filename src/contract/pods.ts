import { z } from 'zod';
import { DnsLabelSchema } from '../model/names.js';
import { PodSchema } from '../model/pod.js';
import { SharedRootSchema } from '../model/volume.js';

/** `POST /v1/pods`. */
export const PodCreateSchema = PodSchema.pick({ name: true, description: true, sharebase: true, maxshare: true, pidsLimit: true, defaultMemory: true }).strict();
export type PodCreate = z.infer<typeof PodCreateSchema>;

/** `PATCH /v1/pods/{pod}`: what may change on a pod; null takes a setting away. */
export const PodPatchSchema = z
  .object({
    description: PodSchema.shape.description.optional(),
    /** Where every node of the pod has its MooseFS mount, for shared volumes; a node may have its own. */
    sharedRoot: SharedRootSchema.nullable().optional(),
    pidsLimit: PodSchema.shape.pidsLimit.unwrap().optional(),
    defaultMemory: PodSchema.shape.defaultMemory.unwrap().optional(),
  })
  .strict();
export type PodPatch = z.infer<typeof PodPatchSchema>;

export const PodNameParamsSchema = z.object({ pod: DnsLabelSchema });
