import type { FastifyPluginAsync } from 'fastify';
import { CheckBodySchema, CheckReportSchema } from '../../contract/check.js';
import type { Checks } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';

/** `POST /v1/check`: the store against the hosts (admin: a repair removes containers and rewrites ledgers). */
export const checkRoutes: FastifyPluginAsync<RouteContext & { checks: Checks }> = async (app, { checks, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/check',
    summary:
      "Compare the store with what each node's Docker runs: leaked and lost containers, ledgers, held addresses and ports, intents past their lease, services off their count; with repair, fix each in a guarded transaction (a leaked container only once two checks found it)",
    tag: 'check',
    access: 'admin',
    body: CheckBodySchema,
    response: CheckReportSchema,
    handler: ({ body }) => checks.run(body),
  });
};
