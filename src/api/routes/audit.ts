import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AuditEntrySchema, AuditQuerySchema } from '../../contract/audit.js';
import { defineRoute, type RouteContext } from '../route.js';

/** `GET /v1/audit`: who changed what, when, and how it ended (admin only: it names every token). */
export const auditRoutes: FastifyPluginAsync<RouteContext> = async (app, context) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/audit',
    summary: 'Every change asked of the core (and copies out of containers), newest first: token, route, target, outcome; the store keeps the last 10,000',
    tag: 'audit',
    access: 'admin',
    query: AuditQuerySchema,
    response: z.array(AuditEntrySchema),
    handler: ({ query }) => context.audit.list(query),
  });
};
