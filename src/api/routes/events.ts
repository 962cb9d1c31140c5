import type { FastifyPluginAsync } from 'fastify';
import { EruEventSchema, EventFilterSchema } from '../../contract/events.js';
import type { Events } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';

/** `GET /v1/events`: the bus as an NDJSON stream, for `eru watch`, the dashboard and scripts. */
export const eventRoutes: FastifyPluginAsync<RouteContext & { events: Events }> = async (app, { events, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/events',
    summary: 'Watch state changes as they happen (NDJSON), optionally for one app, pod, node or event type',
    tag: 'events',
    access: 'read',
    query: EventFilterSchema,
    response: EruEventSchema,
    stream: true,
    handler: async ({ query }, _request, reply) => {
      const watch = await events.watch(query);
      reply.raw.on('close', () => void watch.close());
      await sendNdjson(reply, watch.events);
    },
  });
};
