import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { BASE_KINDS, type BaseKind } from '../../build/base.js';
import { startBaseImages } from '../../core/base-images.js';
import { startImageCache } from '../../core/image-cache.js';
import type { CoreContext } from '../../core/context.js';
import { VersionRefSchema } from '../../core/model/app.js';
import { DnsLabelSchema, NodeNameSchema } from '../../core/model/names.js';
import { defineRoute, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';

const BaseImageBodySchema = z
  .object({
    kind: z.enum(BASE_KINDS as [BaseKind, ...BaseKind[]]),
    pod: DnsLabelSchema.optional(),
    nodes: z.array(NodeNameSchema).max(1000).default([]),
    force: z.boolean().default(false),
  })
  .strict();

const ImageCacheBodySchema = z
  .object({
    app: DnsLabelSchema,
    version: VersionRefSchema,
    pod: DnsLabelSchema.optional(),
    nodes: z.array(NodeNameSchema).max(1000).default([]),
  })
  .strict();

/** Images: `POST /v1/images/base` makes a base image (nothing can be pulled) on nodes; `POST /v1/images/cache` puts a version's image on nodes. */
export const imageRoutes: FastifyPluginAsync<RouteContext & { core: CoreContext }> = async (app, { core, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/images/base',
    summary: 'Make a base image (busybox: local/busybox:1 from Debian busybox-static) on the nodes of a pod, or the nodes named, or every node; a line per node',
    tag: 'images',
    scope: 'admin',
    body: BaseImageBodySchema,
    stream: true,
    handler: async ({ body }, _request, reply) => {
      await sendNdjson(reply, await startBaseImages(core, body.kind, { ...(body.pod ? { pod: body.pod } : {}), nodes: body.nodes, force: body.force }));
    },
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/images/cache',
    summary: "Put a built version's image on the nodes of a pod (or the nodes named) ahead of a deploy: pulled from its registry or copied from its build node; a line per node",
    tag: 'images',
    scope: 'admin',
    body: ImageCacheBodySchema,
    stream: true,
    handler: async ({ body }, _request, reply) => {
      await sendNdjson(reply, await startImageCache(core, body.app, body.version, { ...(body.pod ? { pod: body.pod } : {}), nodes: body.nodes }));
    },
  });
};
