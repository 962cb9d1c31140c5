import type { FastifyPluginAsync } from 'fastify';
import { BaseImageEventSchema, ImageCacheEventSchema } from '../../contract/events.js';
import { BaseImageBodySchema, ImageCacheBodySchema } from '../../contract/images.js';
import type { Images } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';

/** Images: `POST /v1/images/base` makes a base image (nothing can be pulled) on nodes; `POST /v1/images/cache` puts a version's image on nodes. */
export const imageRoutes: FastifyPluginAsync<RouteContext & { images: Images }> = async (app, { images, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/images/base',
    summary: 'Make a base image (busybox: local/busybox:1 from Debian busybox-static) on the nodes of a pod, or the nodes named, or every node; a line per node',
    tag: 'images',
    access: 'admin',
    body: BaseImageBodySchema,
    response: BaseImageEventSchema,
    stream: true,
    handler: async ({ body }, _request, reply) => {
      return sendNdjson(reply, await images.base(body.kind, { ...(body.pod ? { pod: body.pod } : {}), nodes: body.nodes, force: body.force }));
    },
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/images/cache',
    summary: "Put a built version's image on the nodes of a pod (or the nodes named) ahead of a deploy: pulled from its registry or copied from its build node; a line per node",
    tag: 'images',
    access: 'admin',
    body: ImageCacheBodySchema,
    response: ImageCacheEventSchema,
    stream: true,
    handler: async ({ body }, _request, reply) => {
      return sendNdjson(reply, await images.cache(body.app, body.version, { ...(body.pod ? { pod: body.pod } : {}), nodes: body.nodes }));
    },
  });
};
