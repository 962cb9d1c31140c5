import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { AppEnvParamsSchema, AppEnvSchema, AppVersionViewSchema, AppListItemSchema, AppParamsSchema, BuildBodySchema, EnvVarsBodySchema, RegisterBodySchema, VolumeParamsSchema, VolumeRemovalSchema, VolumeViewSchema } from '../../contract/apps.js';
import { BuildEventSchema } from '../../contract/events.js';
import { redactEnv, type AppService, type Pipelines, type Volumes } from '../../core/index.js';
import { ActivitySchema } from '../../model/activity.js';
import { AppSchema, AppVersionSchema } from '../../model/app.js';
import { defineRoute, type RouteContext } from '../route.js';
import { sendNdjson } from '../stream.js';

/** Apps: `POST /v1/apps/versions`, `GET /v1/apps[/{app}[/versions|/activities]]`, builds, `GET|PUT /v1/apps/{app}/env/{env}`. */
export const appRoutes: FastifyPluginAsync<RouteContext & { apps: AppService; pipelines: Pipelines; volumes: Volumes }> = async (app, { apps, pipelines, volumes, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/versions',
    summary: 'Register an app version: its app.yaml as committed at a git sha',
    tag: 'apps',
    access: 'app',
    app: { body: (body) => apps.nameOf(body.appYaml) },
    body: RegisterBodySchema,
    response: AppVersionSchema,
    status: 201,
    handler: ({ body }) => apps.register(body),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps',
    summary: 'List apps',
    tag: 'apps',
    access: 'read',
    response: z.array(AppListItemSchema),
    handler: () => apps.list(),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app',
    summary: 'Show an app',
    tag: 'apps',
    access: 'read',
    params: AppParamsSchema,
    response: AppSchema,
    handler: ({ params }) => apps.get(params.app),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/versions',
    summary: "An app's registered versions, oldest first",
    tag: 'apps',
    access: 'read',
    params: AppParamsSchema,
    response: z.array(AppVersionViewSchema),
    handler: ({ params }) => apps.versions(params.app),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/activities',
    summary: "An app's recent builds, deploys, scales and replaces, newest first, each with how it ended and its last lines of output or progress",
    tag: 'apps',
    access: 'read',
    params: AppParamsSchema,
    response: z.array(ActivitySchema),
    handler: ({ params }) => apps.activities(params.app),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/volumes',
    summary: "An app's shared volumes (MooseFS): quota, use, the workloads that mount each, and each node's state",
    tag: 'apps',
    access: 'read',
    params: AppParamsSchema,
    response: z.array(VolumeViewSchema),
    handler: ({ params }) => volumes.list(params.app),
  });
  defineRoute(app, context, {
    method: 'DELETE',
    url: '/v1/apps/:app/volumes/:name',
    summary: 'Delete a shared volume and its data; refused (409) while any workload uses it',
    tag: 'apps',
    access: 'admin',
    params: VolumeParamsSchema,
    response: VolumeRemovalSchema,
    handler: ({ params }) => volumes.remove(params.app, params.name),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/builds',
    summary: "Build a version: git checkout at its sha, a Dockerfile from app.yaml, built on the app's build node in the pod, tagged APP:SHA; then its app.yaml tests, in a container placed in the pod; streams both outputs",
    tag: 'apps',
    access: 'app',
    app: { params: (params) => params.app },
    params: AppParamsSchema,
    body: BuildBodySchema,
    response: BuildEventSchema,
    stream: true,
    handler: async ({ params, body }, _request, reply) => {
      return sendNdjson(reply, await pipelines.build(params.app, body.version, body.pod));
    },
  });
  defineRoute(app, context, {
    method: 'PUT',
    url: '/v1/apps/:app/env/:env',
    summary: 'Set env vars of one environment of an app (merged)',
    tag: 'apps',
    access: 'app',
    app: { params: (params) => params.app },
    params: AppEnvParamsSchema,
    body: EnvVarsBodySchema,
    response: AppEnvSchema,
    handler: ({ params, body }) => apps.setEnv(params.app, params.env, body.vars),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/env/:env',
    summary: 'Env vars of one environment of an app',
    tag: 'apps',
    access: 'read',
    params: AppEnvParamsSchema,
    response: AppEnvSchema,
    handler: async ({ params, principal }) => {
      const env = await apps.env(params.app, params.env);
      return { ...env, vars: redactEnv(principal, env.vars) };
    },
  });
};
