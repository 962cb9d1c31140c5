import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { resolveDeploy } from '../../core/app-deploy.js';
import type { CoreContext } from '../../core/context.js';
import { runJob } from '../../core/jobs.js';
import { PodNameParamsSchema } from '../../core/model/node.js';
import {
  CapacityBodySchema,
  DeployBodySchema,
  IntentSchema,
  JobBodySchema,
  WorkloadFilterSchema,
  WorkloadIdParamsSchema,
  WorkloadSchema,
} from '../../core/model/workload.js';
import { podCapacity, reserve } from '../../core/placement.js';
import { startRollout } from '../../core/rollout.js';
import type { WorkloadService } from '../../core/workloads.js';
import { defineRoute, type RouteContext } from '../route.js';
import type { CoreMetrics } from '../metrics.js';
import { sendNdjson } from '../stream.js';

/** Passes events through, letting `look` see each. */
async function* tap<T>(events: AsyncIterable<T>, look: (event: T) => unknown): AsyncGenerator<T> {
  for await (const event of events) {
    look(event);
    yield event;
  }
}

const DeployEventSchema = z.object({ type: z.string() }).passthrough();
const BooleanQuery = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

interface WorkloadDeps {
  core: CoreContext;
  workloads: WorkloadService;
  metrics: CoreMetrics;
}

/** Workloads, jobs and capacity: placing, finding, controlling and removing containers. */
export const workloadRoutes: FastifyPluginAsync<RouteContext & WorkloadDeps> = async (app, { core, workloads, metrics, ...context }) => {
  const { repos } = core;
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads',
    summary: 'Deploy workloads: plan, reserve, create and start; streams progress as NDJSON',
    tag: 'workloads',
    scope: 'admin',
    body: DeployBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ body }, _request, reply) => {
      // Planning and reserving fail as plain 4xx replies; only then does the stream begin.
      const started = performance.now();
      const reservation = await reserve(repos, await resolveDeploy(core, body), core.owner, undefined, () => metrics.reservationConflicts.inc());
      metrics.scheduleSeconds.observe((performance.now() - started) / 1000);
      const events = startRollout(core, reservation);
      let outcome = 'failed';
      await sendNdjson(reply, tap(events, (e) => e.type === 'result' && e.ok && (outcome = 'ok')));
      metrics.deploySeconds.observe({ outcome }, (performance.now() - started) / 1000);
    },
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads',
    summary: 'List workloads',
    tag: 'workloads',
    scope: 'admin',
    query: WorkloadFilterSchema,
    response: z.array(WorkloadSchema),
    handler: ({ query }) => workloads.list(query),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads/:id',
    summary: 'Show a workload: its placement and its container as Docker reports it',
    tag: 'workloads',
    scope: 'admin',
    params: WorkloadIdParamsSchema,
    handler: ({ params }) => workloads.inspect(params.id),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/workloads/:id',
    summary: 'Remove a workload: its container goes and its cores are free again',
    tag: 'workloads',
    scope: 'admin',
    params: WorkloadIdParamsSchema,
    response: WorkloadSchema,
    handler: ({ params }) => workloads.remove(params.id),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads/:id/:action',
    summary: 'Start, stop or restart a workload',
    tag: 'workloads',
    scope: 'admin',
    params: WorkloadIdParamsSchema.extend({ action: z.enum(['start', 'stop', 'restart']) }),
    query: z.object({ timeout: z.coerce.number().int().min(0).max(3600).default(10) }).strict(),
    response: WorkloadSchema,
    handler: ({ params, query }) => workloads.control(params.id, params.action, query.timeout),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads/:id/logs',
    summary: "A workload's output, as NDJSON lines {stream, line}",
    tag: 'workloads',
    scope: 'admin',
    params: WorkloadIdParamsSchema,
    query: z.object({ follow: BooleanQuery.default(false), tail: z.coerce.number().int().min(0).max(1_000_000).optional() }).strict(),
    stream: true,
    handler: async ({ params, query }, _request, reply) => {
      await sendNdjson(reply, await workloads.logs(params.id, query));
    },
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/intents',
    summary: 'Deploys and removals under way (or left by a core that died, until another core undoes them)',
    tag: 'workloads',
    scope: 'admin',
    response: z.array(IntentSchema),
    handler: async () => (await repos.intents.list()).map((i) => i.value),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/jobs',
    summary: 'Run a job: place one workload, stream its output, remove it; the result carries the exit code',
    tag: 'workloads',
    scope: 'admin',
    body: JobBodySchema,
    response: DeployEventSchema,
    stream: true,
    handler: async ({ body }, _request, reply) => {
      await sendNdjson(reply, await runJob(core, body));
    },
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/pods/:pod/capacity',
    summary: 'How many more of a request a pod can take, per node (a dry run through the scheduler)',
    tag: 'pods',
    scope: 'admin',
    params: PodNameParamsSchema,
    body: CapacityBodySchema,
    handler: async ({ params, body }) => {
      const report = await podCapacity(repos, params.pod, body);
      return { total: report.total, nodes: report.nodes.map((fit) => ({ node: fit.node, capacity: fit.capacity, reason: fit.reason })) };
    },
  });
};
