import type { FastifyPluginAsync } from 'fastify';
import { HeartbeatAnswerSchema, HeartbeatSchema, StatusAnswerSchema, StatusReportSchema } from '../../contract/agents.js';
import { IssuedTokenSchema, NodeTokenCreateSchema } from '../../contract/tokens.js';
import { NodeNameParamsSchema } from '../../contract/nodes.js';
import { requireNode, type AgentGateway } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';

/** What agents call, with a node-scoped token that speaks for its own node only; and token issue. */
export const agentRoutes: FastifyPluginAsync<RouteContext & { agents: AgentGateway }> = async (app, { agents, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/tokens',
    summary: "Issue a node token for the node's agent (shown once; only its hash is kept; listed and revoked under /v1/tokens)",
    tag: 'agents',
    access: 'admin',
    params: NodeNameParamsSchema,
    body: NodeTokenCreateSchema.optional(),
    response: IssuedTokenSchema,
    status: 201,
    handler: ({ params, body }) => context.gate.auth.issueNodeToken(params.node, body?.expires),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/heartbeat',
    summary: 'An agent says its node is alive; the node is down when this stops for the node TTL',
    tag: 'agents',
    access: 'node',
    params: NodeNameParamsSchema,
    body: HeartbeatSchema,
    response: HeartbeatAnswerSchema,
    audited: false,
    handler: ({ params, body, principal }) => {
      requireNode(principal, params.node);
      return agents.heartbeat(params.node, body);
    },
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/status',
    summary: "An agent reports its workloads' status; changes are stored and broadcast",
    tag: 'agents',
    access: 'node',
    params: NodeNameParamsSchema,
    body: StatusReportSchema,
    response: StatusAnswerSchema,
    audited: false,
    handler: ({ params, body, principal }) => {
      requireNode(principal, params.node);
      return agents.report(params.node, body.workloads);
    },
  });
};
