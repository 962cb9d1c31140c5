import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { EruEventSchema, type Bus, type Channel, type EruEvent } from '../../bus/types.js';
import { DnsLabelSchema, NodeNameSchema } from '../../core/model/names.js';
import { EventQueue } from '../../core/stream.js';
import { defineRoute, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';

const EventFilterSchema = z.object({
  app: DnsLabelSchema.optional(),
  pod: DnsLabelSchema.optional(),
  node: NodeNameSchema.optional(),
  type: z.string().max(64).optional(),
}).strict();

/** `GET /v1/events`: the bus as an NDJSON stream, for `eru watch` and scripts. */
export const eventRoutes: FastifyPluginAsync<RouteContext & { bus: Bus }> = async (app, { bus, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/events',
    summary: 'Watch state changes as they happen (NDJSON), optionally for one app, pod, node or event type',
    tag: 'events',
    scope: 'admin',
    query: EventFilterSchema,
    response: EruEventSchema,
    stream: true,
    handler: async ({ query }, request, reply) => {
      // The narrowest channel that holds everything asked for; the rest is filtered here.
      const channel: Channel = query.app ? { kind: 'app', app: query.app } : query.pod ? { kind: 'pod', pod: query.pod } : { kind: 'all' };
      const matches = (e: EruEvent): boolean =>
        (query.pod === undefined || e.pod === query.pod) &&
        (query.node === undefined || e.node === query.node) &&
        (query.type === undefined || e.type === query.type || e.type.startsWith(`${query.type}.`));
      const queue = new EventQueue<EruEvent>();
      const subscription = await bus.subscribe(channel, (e) => matches(e) && queue.push(e));
      request.raw.on('close', () => {
        void subscription.close();
        queue.end();
      });
      await sendNdjson(reply, queue);
    },
  });
};
