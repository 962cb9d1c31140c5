import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { IssuedTokenSchema, TokenCreateSchema, TokenNameParamsSchema, TokenViewSchema } from '../../contract/tokens.js';
import { defineRoute, type RouteContext } from '../route.js';

/** Tokens: `GET|POST /v1/tokens`, `DELETE /v1/tokens/{name}`; node tokens are issued per node (agents.ts) and listed here. */
export const tokenRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/tokens',
    summary: 'Issue a token with a scope (admin, viewer, or deployer for named apps), optionally expiring; the secret is shown once',
    tag: 'tokens',
    access: 'admin',
    body: TokenCreateSchema,
    response: IssuedTokenSchema,
    status: 201,
    handler: ({ body }) => context.gate.auth.issue(body),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/tokens',
    summary: 'Every token the core issued, node tokens too: name, scope, apps or node, expiry (never the secret)',
    tag: 'tokens',
    access: 'admin',
    response: z.array(TokenViewSchema),
    handler: () => context.gate.auth.list(),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/tokens/:name',
    summary: 'Revoke a token: refused from the next call on',
    tag: 'tokens',
    access: 'admin',
    params: TokenNameParamsSchema,
    response: TokenViewSchema,
    handler: ({ params }) => context.gate.auth.remove(params.name),
  });
};
