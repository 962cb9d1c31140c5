import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AppService } from '../../core/apps.js';
import { startBuild } from '../../core/builds.js';
import type { CoreContext } from '../../core/context.js';
import { sendNdjson } from '../stream.js';
import { AppEnvSchema, AppSchema, AppVersionSchema, EnvNameSchema, RegisterBodySchema, VersionRefSchema } from '../../core/model/app.js';
import { DnsLabelSchema } from '../../core/model/names.js';
import { EnvSchema } from '../../core/model/workload.js';
import { defineRoute, type RouteContext } from '../route.js';

const AppParams = z.object({ app: DnsLabelSchema });
const AppEnvParams = AppParams.extend({ env: EnvNameSchema });

/** Apps: `POST /v1/apps/versions`, `GET /v1/apps[/{app}[/versions]]`, `GET|PUT /v1/apps/{app}/env/{env}`. */
export const appRoutes: FastifyPluginAsync<RouteContext & { apps: AppService; core: CoreContext }> = async (app, { apps, core, ...context }) => {
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/versions',
    summary: 'Register an app version: its app.yaml as committed at a git sha',
    tag: 'apps',
    scope: 'admin',
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
    scope: 'admin',
    response: z.array(AppSchema.extend({ versions: z.number() })),
    handler: () => apps.list(),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app',
    summary: 'Show an app',
    tag: 'apps',
    scope: 'admin',
    params: AppParams,
    response: AppSchema,
    handler: ({ params }) => apps.get(params.app),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/versions',
    summary: "An app's registered versions, oldest first",
    tag: 'apps',
    scope: 'admin',
    params: AppParams,
    response: z.array(AppVersionSchema),
    handler: ({ params }) => apps.versions(params.app),
  });
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/builds',
    summary: 'Build a version: git checkout at its sha, a Dockerfile from app.yaml, built on the least busy node of the pod, tagged APP:SHA7; streams the build output',
    tag: 'apps',
    scope: 'admin',
    params: AppParams,
    body: z.object({ version: VersionRefSchema, pod: DnsLabelSchema }).strict(),
    stream: true,
    handler: async ({ params, body }, _request, reply) => {
      await sendNdjson(reply, await startBuild(core, params.app, body.version, body.pod));
    },
  });
  defineRoute(app, context, {
    method: 'PUT',
    url: '/v1/apps/:app/env/:env',
    summary: 'Set env vars of one environment of an app (merged)',
    tag: 'apps',
    scope: 'admin',
    params: AppEnvParams,
    body: z.object({ vars: EnvSchema }).strict(),
    response: AppEnvSchema,
    handler: ({ params, body }) => apps.setEnv(params.app, params.env, body.vars),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/env/:env',
    summary: 'Env vars of one environment of an app',
    tag: 'apps',
    scope: 'admin',
    params: AppEnvParams,
    response: AppEnvSchema,
    handler: ({ params }) => apps.env(params.app, params.env),
  });
};
