import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppParamsSchema } from '../../contract/apps.js';
import { ConnectBodySchema, EndpointQuerySchema, EndpointSchema, NetworkCreateSchema, NetworkNameParamsSchema, NetworkViewSchema } from '../../contract/networks.js';
import { WorkloadIdParamsSchema } from '../../contract/workloads.js';
import type { NetworkService } from '../../core/index.js';
import { WorkloadSchema } from '../../model/workload.js';
import { defineRoute, type RouteContext } from '../route.js';

/** Networks (`/v1/networks`), workloads joining and leaving them, and an app's endpoints. */
export const networkRoutes: FastifyPluginAsync<RouteContext & { networks: NetworkService }> = async (app, { networks, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/networks',
    summary: 'Add a MacVLAN network: its subnet, gateway, the range Eru hands out, an optional VLAN and the pods that may use it',
    tag: 'networks',
    access: 'admin',
    body: NetworkCreateSchema,
    response: NetworkViewSchema,
    status: 201,
    handler: ({ body }) => networks.add(body),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/networks',
    summary: 'List networks with how many addresses are used and free',
    tag: 'networks',
    access: 'read',
    response: z.array(NetworkViewSchema),
    handler: () => networks.list(),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/networks/:network',
    summary: 'Show a network: used and free addresses, and who holds each',
    tag: 'networks',
    access: 'read',
    params: NetworkNameParamsSchema,
    response: NetworkViewSchema,
    handler: ({ params }) => networks.get(params.network),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/networks/:network',
    summary: 'Remove a network (refused while any address is held); the Docker networks Eru made for it go too',
    tag: 'networks',
    access: 'admin',
    params: NetworkNameParamsSchema,
    response: NetworkViewSchema,
    handler: ({ params }) => networks.remove(params.network),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads/:id/networks',
    summary: 'Connect a running workload to a network: an address is taken from the pool (or the one given), then Docker connects it',
    tag: 'networks',
    access: 'admin',
    params: WorkloadIdParamsSchema,
    body: ConnectBodySchema,
    response: WorkloadSchema,
    handler: ({ params, body }) => networks.connect(params.id, body),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/workloads/:id/networks/:network',
    summary: 'Disconnect a workload from a network; its address is free again',
    tag: 'networks',
    access: 'admin',
    params: WorkloadIdParamsSchema.merge(NetworkNameParamsSchema),
    response: WorkloadSchema,
    handler: ({ params }) => networks.disconnect(params.id, params.network),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/endpoints',
    summary: "An app's endpoints: each workload's addresses with the entrypoint's ports (published ports too); endpoints.changed on the bus carries each new list",
    tag: 'networks',
    access: 'read',
    params: AppParamsSchema,
    query: EndpointQuerySchema,
    response: z.array(EndpointSchema),
    handler: ({ params, query }) => networks.endpoints(params.app, query),
  });
};
