import { z } from 'zod';
import { DnsLabelSchema } from '../model/names.js';
import { PodSchema } from '../model/pod.js';

/** `POST /v1/pods`. */
export const PodCreateSchema = PodSchema.pick({ name: true, description: true, sharebase: true, maxshare: true }).strict();
export type PodCreate = z.infer<typeof PodCreateSchema>;

export const PodNameParamsSchema = z.object({ pod: DnsLabelSchema });
