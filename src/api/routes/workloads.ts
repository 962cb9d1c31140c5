import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DeployEventSchema, OutputLineSchema } from '../../contract/events.js';
import {
  ControlParamsSchema,
  ControlQuerySchema,
  DeployBodySchema,
  JobBodySchema,
  LogsQuerySchema,
  RemoveQuerySchema,
  ResizeBodySchema,
  WorkloadListItemSchema,
  WorkloadFilterSchema,
  WorkloadIdParamsSchema,
  WorkloadInspectSchema,
} from '../../contract/workloads.js';
import { checkDeployer, redactWorkload, type Deploys, type WorkloadService } from '../../core/index.js';
import { IntentSchema } from '../../model/intent.js';
import { WorkloadSchema } from '../../model/workload.js';
import { defineRoute, paged, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';
import { DEFAULT_PAGE, MAX_PAGE } from '../../contract/query.js';

/** Workloads and jobs: placing, finding, controlling and removing containers. */
export const workloadRoutes: FastifyPluginAsync<RouteContext & { workloads: WorkloadService; deploys: Deploys }> = async (app, { workloads, deploys, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads',
    summary: 'Deploy workloads: plan, reserve, create and start; streams progress as NDJSON (bad input and no room are 4xx before the stream)',
    tag: 'workloads',
    access: 'app',
    app: { body: (body) => body.app },
    body: DeployBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ body, principal }, _request, reply) => {
      checkDeployer(principal, body);
      return sendNdjson(reply, await deploys.deploy(body));
    },
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads',
    summary: `List workloads, a page at a time: at most \`limit\` (default ${DEFAULT_PAGE}, at most ${MAX_PAGE}); the reply's Eru-Continue header, while there is more, is the \`continue\` of the next page`,
    tag: 'workloads',
    access: 'read',
    query: WorkloadFilterSchema,
    response: z.array(WorkloadListItemSchema),
    handler: async ({ query, principal }, _request, reply) => paged(reply, await workloads.list(query)).map((w) => redactWorkload(principal, w)),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads/:id',
    summary: 'Show a workload: its placement and its container as Docker reports it',
    tag: 'workloads',
    access: 'read',
    params: WorkloadIdParamsSchema,
    response: WorkloadInspectSchema,
    handler: async ({ params, principal }) => {
      const shown = await workloads.inspect(params.id);
      return { ...shown, workload: redactWorkload(principal, shown.workload) };
    },
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/workloads/:id',
    summary: 'Remove a workload: before_stop hooks, then its container goes and its cores are free again (drain=N: out of its endpoints N seconds first)',
    tag: 'workloads',
    access: 'app',
    app: { params: (params) => workloads.appOf(params.id) },
    params: WorkloadIdParamsSchema,
    query: RemoveQuerySchema,
    response: WorkloadSchema,
    handler: ({ params, query }) => workloads.remove(params.id, { drainSeconds: query.drain }),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads/:id/:action',
    summary: 'Start, stop or restart a workload',
    tag: 'workloads',
    access: 'app',
    app: { params: (params) => workloads.appOf(params.id) },
    params: ControlParamsSchema,
    query: ControlQuerySchema,
    response: WorkloadSchema,
    handler: ({ params, query }) => workloads.control(params.id, params.action, query.timeout),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads/:id/resize',
    summary: 'Resize a workload in place: new cores and memory on its node, planned keeping the cores it has, then docker update; no restart',
    tag: 'workloads',
    access: 'app',
    app: { params: (params) => workloads.appOf(params.id) },
    params: WorkloadIdParamsSchema,
    body: ResizeBodySchema,
    response: WorkloadSchema,
    handler: ({ params, body }) => workloads.realloc(params.id, body),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads/:id/logs',
    summary: "A workload's output, as NDJSON lines {stream, line}",
    tag: 'workloads',
    access: 'read',
    params: WorkloadIdParamsSchema,
    query: LogsQuerySchema,
    response: OutputLineSchema,
    stream: true,
    handler: async ({ params, query }, _request, reply) => {
      // Following stops when the client goes.
      const gone = new AbortController();
      reply.raw.on('close', () => gone.abort());
      return sendNdjson(reply, await workloads.logs(params.id, { ...query, signal: gone.signal }));
    },
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/intents',
    summary: 'Deploys and removals under way (or left by a core that died, until another core undoes them)',
    tag: 'workloads',
    access: 'read',
    response: z.array(IntentSchema),
    handler: async ({ principal }) => (await deploys.intents()).map((i) => ({ ...i, workloads: i.workloads.map((w) => redactWorkload(principal, w)) })),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/jobs',
    summary: 'Run a job: place one workload, stream its output, remove it; the result carries the exit code',
    tag: 'workloads',
    access: 'app',
    app: { body: (body) => body.app },
    body: JobBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ body, principal }, _request, reply) => {
      checkDeployer(principal, body);
      return sendNdjson(reply, await deploys.runJob(body));
    },
  });
};
