import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CoreViewSchema } from '../../contract/cores.js';
import type { Cores } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';

/** `GET /v1/cores`: the live cores on this store, so a client given one learns the others. */
export const coreRoutes: FastifyPluginAsync<RouteContext & { cores: Cores }> = async (app, { cores, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/cores',
    summary: 'The live cores sharing this store (each holds a lease): id, the URL it advertises, which one leads, which one answered',
    tag: 'cores',
    access: 'read',
    response: z.array(CoreViewSchema),
    handler: () => cores.list(),
  });
};
