import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { requireNode, type Liveness } from '../../core/liveness.js';
import { NodeNameParamsSchema } from '../../core/model/node.js';
import { HeartbeatSchema, StatusReportSchema } from '../../core/model/status.js';
import { defineRoute, type RouteContext } from '../route.js';

/** What agents call, with a node-scoped token that speaks for its own node only; and token issue. */
export const agentRoutes: FastifyPluginAsync<RouteContext & { liveness: Liveness }> = async (app, { liveness, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/tokens',
    summary: "Issue a node token for the node's agent (shown once; only its hash is kept)",
    tag: 'agents',
    scope: 'admin',
    params: NodeNameParamsSchema,
    response: z.object({ node: z.string(), token: z.string() }),
    status: 201,
    handler: ({ params }) => liveness.issueToken(params.node),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/heartbeat',
    summary: 'An agent says its node is alive; the node is down when this stops for the node TTL',
    tag: 'agents',
    scope: 'node',
    params: NodeNameParamsSchema,
    body: HeartbeatSchema,
    response: z.object({ ttl: z.number() }),
    handler: ({ params, principal }) => {
      requireNode(principal, params.node);
      return liveness.heartbeat(params.node);
    },
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/status',
    summary: "An agent reports its workloads' status; changes are stored and broadcast",
    tag: 'agents',
    scope: 'node',
    params: NodeNameParamsSchema,
    body: StatusReportSchema,
    response: z.object({ changed: z.number(), unknown: z.array(z.string()) }),
    handler: ({ params, body, principal }) => {
      requireNode(principal, params.node);
      return liveness.report(params.node, body.workloads);
    },
  });
};
