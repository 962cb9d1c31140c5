import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DrainEventSchema } from '../../contract/events.js';
import { DrainBodySchema, NodeCreateSchema, NodeNameParamsSchema, NodePatchSchema, NodeViewSchema } from '../../contract/nodes.js';
import { PodNameParamsSchema } from '../../contract/pods.js';
import type { Drains, NodeService } from '../../core/index.js';
import { defineRoute, paged, type RouteContext } from '../route.js';
import { PageQuerySchema } from '../../contract/query.js';
import { sendNdjson } from '../stream.js';

/** Nodes: `GET|POST /v1/pods/{pod}/nodes`, `GET /v1/nodes`, `GET|PATCH|DELETE /v1/nodes/{node}`, `POST|DELETE /v1/nodes/{node}/drain`. */
export const nodeRoutes: FastifyPluginAsync<RouteContext & { nodes: NodeService; drains: Drains }> = async (app, { nodes, drains, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/pods/:pod/nodes',
    summary: "List a pod's nodes, a page at a time (limit, continue; the Eru-Continue header names the next page)",
    tag: 'nodes',
    access: 'read',
    params: PodNameParamsSchema,
    query: PageQuerySchema.strict(),
    response: z.array(NodeViewSchema),
    handler: async ({ params, query }, _request, reply) => paged(reply, await nodes.page(params.pod, query)),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/pods/:pod/nodes',
    summary: 'Add a Docker host to a pod as a node',
    tag: 'nodes',
    access: 'admin',
    params: PodNameParamsSchema,
    body: NodeCreateSchema,
    response: NodeViewSchema,
    status: 201,
    handler: ({ params, body }) => nodes.add(params.pod, body),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/nodes',
    summary: 'List every node, a page at a time (limit, continue; the Eru-Continue header names the next page)',
    tag: 'nodes',
    access: 'read',
    query: PageQuerySchema.strict(),
    response: z.array(NodeViewSchema),
    handler: async ({ query }, _request, reply) => paged(reply, await nodes.page(undefined, query)),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/nodes/:node',
    summary: 'Show a node with its CPU map',
    tag: 'nodes',
    access: 'read',
    params: NodeNameParamsSchema,
    response: NodeViewSchema,
    handler: ({ params }) => nodes.get(params.node),
  });
  defineRoute(app, context, {
    method: 'PATCH',
    url: '/v1/nodes/:node',
    summary: "Change a node's labels, bypass flag or declared resources",
    tag: 'nodes',
    access: 'admin',
    params: NodeNameParamsSchema,
    body: NodePatchSchema,
    response: NodeViewSchema,
    handler: ({ params, body }) => nodes.update(params.node, body),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/nodes/:node',
    summary: 'Remove a node (refused while it has workloads)',
    tag: 'nodes',
    access: 'admin',
    params: NodeNameParamsSchema,
    response: NodeViewSchema,
    handler: ({ params }) => nodes.remove(params.node),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/drain',
    summary: 'Drain a node: it takes nothing new, every kept instance moves off it (new one healthy first), jobs are waited for until the deadline; then what is left (removed with force)',
    tag: 'nodes',
    access: 'admin',
    params: NodeNameParamsSchema,
    body: DrainBodySchema,
    response: DrainEventSchema,
    stream: true,
    handler: async ({ params, body }, _request, reply) => sendNdjson(reply, await drains.drain(params.node, body)),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/nodes/:node/drain',
    summary: 'Undrain a node: it is scheduled on again',
    tag: 'nodes',
    access: 'admin',
    params: NodeNameParamsSchema,
    response: NodeViewSchema,
    handler: async ({ params }) => {
      await drains.undrain(params.node);
      return nodes.get(params.node);
    },
  });
};
