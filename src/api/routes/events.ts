import type { FastifyPluginAsync } from 'fastify';
import { EVENTS_FROM_HEADER } from '../../contract/constants.js';
import { EruEventSchema, EventFilterSchema, formatPosition } from '../../contract/events.js';
import type { Events } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';

/** `GET /v1/events`: the bus as an NDJSON stream, for `eru watch`, the dashboard and scripts. */
export const eventRoutes: FastifyPluginAsync<RouteContext & { events: Events }> = async (app, { events, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/events',
    summary: 'Watch state changes as they happen (NDJSON), optionally for one app, pod, node or event type, and from a position in the history (`since`)',
    tag: 'events',
    access: 'read',
    query: EventFilterSchema,
    response: EruEventSchema,
    stream: true,
    handler: async ({ query }, _request, reply) => {
      const watch = await events.watch(query);
      reply.raw.on('close', () => void watch.close());
      // Where the stream starts, so a client cut before its first event still resumes without a gap.
      await sendNdjson(reply, watch.events, { [EVENTS_FROM_HEADER]: formatPosition(watch.from) });
    },
  });
};
