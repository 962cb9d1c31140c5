import type { FastifyPluginAsync } from 'fastify';
import { ExecBodySchema, ExecParamsSchema, ExecStateSchema, ExecViewSchema, ResizeTtySchema } from '../../contract/exec.js';
import { WorkloadIdParamsSchema } from '../../contract/workloads.js';
import type { WorkloadService } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';

/** Exec into a workload: create, resize its TTY, read its exit code (attaching is an upgrade: api/exec.ts). */
export const execRoutes: FastifyPluginAsync<RouteContext & { workloads: WorkloadService }> = async (app, { workloads, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/workloads/:id/exec',
    summary: 'Make an exec in a running workload; then attach to it (GET /v1/nodes/{node}/exec/{exec}/attach with Upgrade: eru-exec)',
    tag: 'exec',
    access: 'admin',
    params: WorkloadIdParamsSchema,
    body: ExecBodySchema,
    response: ExecViewSchema,
    status: 201,
    handler: ({ params, body }) => workloads.exec.create(() => workloads.resolve(params.id), body),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/nodes/:node/exec/:exec/resize',
    summary: "Resize an exec's TTY",
    tag: 'exec',
    access: 'admin',
    params: ExecParamsSchema,
    body: ResizeTtySchema,
    handler: async ({ params, body }) => {
      await workloads.exec.resize(params.node, params.exec, body);
      return { ok: true };
    },
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/nodes/:node/exec/:exec',
    summary: 'Whether an exec still runs, and its exit code once it is done',
    tag: 'exec',
    access: 'admin',
    params: ExecParamsSchema,
    response: ExecStateSchema,
    handler: ({ params }) => workloads.exec.inspect(params.node, params.exec),
  });
};
