import type { FastifyPluginAsync } from 'fastify';
import { ApplyEventSchema, DeployEventSchema } from '../../contract/events.js';
import { z } from 'zod';
import { ApplyBodySchema, ReplaceBodySchema, RolloutQuerySchema, ScaleBodySchema, UndoBodySchema, ServiceParamsSchema, ServiceResizeBodySchema, SteerBodySchema, SteerParamsSchema, ServiceViewSchema } from '../../contract/services.js';
import { RolloutSchema } from '../../model/rollout.js';
import { WorkloadSchema } from '../../model/workload.js';
import { redactService, type Applies, type Services } from '../../core/index.js';
import { defineRoute, paged, type RouteContext } from '../route.js';
import { PageQuerySchema } from '../../contract/query.js';
import { sendNdjson } from '../stream.js';

/** Services (an app's entrypoint in a pod): scaling and rolling replaces, streamed like deploys. */
export const serviceRoutes: FastifyPluginAsync<RouteContext & { services: Services; applies: Applies }> = async (app, { services, applies, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/services',
    summary: 'The services (an app\'s entrypoint in a pod), a page at a time: what each one\'s last deploy asked for, and how many instances it runs',
    tag: 'services',
    access: 'read',
    query: PageQuerySchema.strict(),
    response: z.array(ServiceViewSchema),
    handler: async ({ principal, query }, _request, reply) => {
      const page = await services.page(query);
      return paged(reply, { ...page, items: page.items.map((s) => redactService(principal, s)) });
    },
  });
  defineRoute(app, context, {
    method: 'PUT',
    url: '/v1/services',
    summary: 'Converge services to a desired state once (create, replace, resize, scale, in order; the first failure stops the rest); dryRun returns only the plan',
    tag: 'services',
    access: 'app',
    // A deployer applies only its own apps.
    app: { bodyApps: (body) => body.services.map((s) => s.app) },
    body: ApplyBodySchema,
    response: ApplyEventSchema,
    stream: true,
    handler: async ({ body }, _request, reply) => sendNdjson(reply, await applies.apply(body)),
  });
  defineRoute(app, context, {
    method: 'PUT',
    url: '/v1/apps/:app/entries/:entry/scale',
    summary: 'Scale a service to a count: up with the spec its instances have, down from the most crowded nodes, newest first (drained, before_stop hooks first)',
    tag: 'services',
    access: 'app',
    app: { params: (params) => params.app },
    params: ServiceParamsSchema,
    body: ScaleBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ params, body }, _request, reply) => {
      return sendNdjson(reply, await services.scale(params.app, params.entry, body));
    },
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/entries/:entry/resize',
    summary: 'Resize every instance of a service in place (no restart) and record the new size for later scale-ups',
    tag: 'services',
    access: 'app',
    app: { params: (params) => params.app },
    params: ServiceParamsSchema,
    body: ServiceResizeBodySchema,
    response: z.array(WorkloadSchema),
    handler: ({ params, body }) => {
      const { pod, ...size } = body;
      return services.resize(params.app, params.entry, pod, size);
    },
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/entries/:entry/rollouts',
    summary: "A service's rollouts, numbered, oldest first: what each moved from and to, and how it ended",
    tag: 'services',
    access: 'read',
    params: ServiceParamsSchema,
    query: RolloutQuerySchema,
    response: z.array(RolloutSchema),
    handler: ({ params, query }) => services.rollouts(params.app, params.entry, query.pod),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/entries/:entry/rollouts/:action',
    summary: "Steer the service's rollout under way: pause (the batch under way finishes, no other starts), resume, promote (a waiting canary goes on), abort (stopped, and what was replaced rolled back)",
    tag: 'services',
    access: 'app',
    app: { params: (params) => params.app },
    params: SteerParamsSchema,
    body: SteerBodySchema,
    response: RolloutSchema,
    handler: ({ params, body, principal }) => services.steer(params.app, params.entry, params.action, body.pod, principal?.name ?? 'an operator'),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/entries/:entry/rollouts/undo',
    summary: 'Undo: a rolling replace back to what ran before the last rollout that ended done (or to what rollout `to` moved it to)',
    tag: 'services',
    access: 'app',
    app: { params: (params) => params.app },
    params: ServiceParamsSchema,
    body: UndoBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ params, body }, _request, reply) => sendNdjson(reply, await services.undo(params.app, params.entry, body)),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/entries/:entry/replace',
    summary: 'Rolling replace of a service to another version: new instances ahead of old ones (max-surge), healthy before the old go; in place (max-unavailable) without room; a failed batch rolls back',
    tag: 'services',
    access: 'app',
    app: { params: (params) => params.app },
    params: ServiceParamsSchema,
    body: ReplaceBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ params, body }, _request, reply) => {
      return sendNdjson(reply, await services.replace(params.app, params.entry, body));
    },
  });
};
