import { z } from 'zod';
import { VersionRefSchema } from '../model/app.js';
import { BASE_KINDS, type BaseKind } from '../model/images.js';
import { DnsLabelSchema, NodeNameSchema } from '../model/names.js';

export const BaseKindSchema = z.enum(BASE_KINDS as [BaseKind, ...BaseKind[]]);

/** `POST /v1/images/base`: make a base image on the nodes of a pod, the nodes named, or every node. */
export const BaseImageBodySchema = z
  .object({
    kind: BaseKindSchema,
    pod: DnsLabelSchema.optional(),
    nodes: z.array(NodeNameSchema).max(1000).default([]),
    force: z.boolean().default(false),
  })
  .strict();
export type BaseImageBody = z.input<typeof BaseImageBodySchema>;

/** `POST /v1/images/cache`: put a built version's image on nodes ahead of a deploy. */
export const ImageCacheBodySchema = z
  .object({
    app: DnsLabelSchema,
    version: VersionRefSchema,
    pod: DnsLabelSchema.optional(),
    nodes: z.array(NodeNameSchema).max(1000).default([]),
  })
  .strict();
export type ImageCacheBody = z.input<typeof ImageCacheBodySchema>;
