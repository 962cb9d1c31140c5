import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { NodeCreateSchema, NodeNameParamsSchema, NodePatchSchema, NodeViewSchema } from '../../contract/nodes.js';
import { PodNameParamsSchema } from '../../contract/pods.js';
import type { NodeService } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';

/** Nodes: `GET|POST /v1/pods/{pod}/nodes`, `GET /v1/nodes`, `GET|PATCH|DELETE /v1/nodes/{node}`. */
export const nodeRoutes: FastifyPluginAsync<RouteContext & { nodes: NodeService }> = async (app, { nodes, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/pods/:pod/nodes',
    summary: "List a pod's nodes",
    tag: 'nodes',
    access: 'read',
    params: PodNameParamsSchema,
    response: z.array(NodeViewSchema),
    handler: ({ params }) => nodes.list(params.pod),
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
    summary: 'List every node',
    tag: 'nodes',
    access: 'read',
    response: z.array(NodeViewSchema),
    handler: () => nodes.list(),
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
};
