import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { PodCreateSchema, PodNameParamsSchema, PodPatchSchema } from '../../contract/pods.js';
import { PodMapSchema } from '../../contract/map.js';
import { CapacityBodySchema, CapacityReportSchema } from '../../contract/workloads.js';
import type { PodService } from '../../core/index.js';
import { PodSchema } from '../../model/pod.js';
import { defineRoute, type RouteContext } from '../route.js';

/** Pods: `GET|POST /v1/pods`, `GET|DELETE /v1/pods/{pod}`, `GET /v1/pods/{pod}/map`. */
export const podRoutes: FastifyPluginAsync<RouteContext & { pods: PodService }> = async (app, { pods, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/pods',
    summary: 'List pods',
    tag: 'pods',
    access: 'read',
    response: z.array(PodSchema),
    handler: () => pods.list(),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/pods',
    summary: 'Add a pod',
    tag: 'pods',
    access: 'admin',
    body: PodCreateSchema,
    response: PodSchema,
    status: 201,
    handler: ({ body }) => pods.create(body),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/pods/:pod',
    summary: 'Show a pod',
    tag: 'pods',
    access: 'read',
    params: PodNameParamsSchema,
    response: PodSchema,
    handler: ({ params }) => pods.get(params.pod),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/pods/:pod/map',
    summary: "The pod's map, as the dashboard draws it: each node's cores, which workload holds which pieces, measured use",
    tag: 'pods',
    access: 'read',
    params: PodNameParamsSchema,
    response: PodMapSchema,
    handler: ({ params }) => pods.map(params.pod),
  });
  defineRoute(app, context, {
    method: 'PATCH',
    url: '/v1/pods/:pod',
    summary: "Change a pod: its description, its shared root (where every node has the pod's MooseFS mount)",
    tag: 'pods',
    access: 'admin',
    params: PodNameParamsSchema,
    body: PodPatchSchema,
    response: PodSchema,
    handler: ({ params, body }) => pods.update(params.pod, body),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/pods/:pod',
    summary: 'Remove a pod (refused while it has nodes)',
    tag: 'pods',
    access: 'admin',
    params: PodNameParamsSchema,
    response: PodSchema,
    handler: ({ params }) => pods.remove(params.pod),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/pods/:pod/capacity',
    summary: 'How many more of a request a pod can take, per node (a dry run through the scheduler)',
    tag: 'pods',
    access: 'read',
    params: PodNameParamsSchema,
    body: CapacityBodySchema,
    response: CapacityReportSchema,
    handler: async ({ params, body }) => {
      const report = await pods.capacity(params.pod, body);
      return { total: report.total, nodes: report.nodes.map((fit) => ({ node: fit.node, capacity: fit.capacity, reason: fit.reason })) };
    },
  });
};
