import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppParamsSchema } from '../../contract/apps.js';
import { HookAnswerSchema, LocalBuildQuerySchema, PipelineBodySchema, PipelineViewSchema } from '../../contract/pipelines.js';
import { LOCAL_BUNDLE_LIMIT, type Pipelines } from '../../core/index.js';
import { BuildEventSchema } from '../../contract/events.js';
import { sendNdjson } from '../stream.js';
import { Readable } from 'node:stream';
import { defineRoute, type RouteContext } from '../route.js';

/** Where the caller reached this core: the base of the webhook URL it is shown. */
function baseOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? '127.0.0.1'}`;
}

/** The raw bytes of a delivery: its signature is over them exactly, so they are kept, not parsed. */
const RawBody = z.custom<Buffer>((value) => Buffer.isBuffer(value), 'a delivery body');

/**
 * Apps' pipelines: `GET|PUT /v1/apps/{app}/pipeline` (the branch followed, the pod, the release, the
 * webhook's secret: the app's deployers and admins only), and `POST /v1/hooks/git/{app}`, the webhook
 * GitHub and GitLab call: no token, its signature checked against the app's secret instead.
 */
export const pipelineRoutes: FastifyPluginAsync<RouteContext & { pipelines: Pipelines }> = async (app, { pipelines, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/apps/:app/pipeline',
    summary: "An app's pipeline: the branch its webhook follows, the pod pushes are built and tested in, its release, the webhook's URL and secret",
    tag: 'pipelines',
    access: 'app',
    app: { params: (params) => params.app },
    params: AppParamsSchema,
    response: PipelineViewSchema,
    handler: ({ params }, request) => pipelines.show(params.app, baseOf(request)),
  });
  defineRoute(app, context, {
    method: 'PUT',
    url: '/v1/apps/:app/pipeline',
    summary: "Set an app's pipeline up or change it (a secret is made the first time, or when rotated)",
    tag: 'pipelines',
    access: 'app',
    app: { params: (params) => params.app },
    params: AppParamsSchema,
    body: PipelineBodySchema,
    response: PipelineViewSchema,
    handler: ({ params, body }, request) => pipelines.configure(params.app, body, baseOf(request)),
  });
  await app.register(hookRoute, { ...context, pipelines });
  await app.register(localBuildRoute, { ...context, pipelines });
};

/** `eru build --dir`: the working tree as a git bundle, read as a stream (not parsed, not held in memory). */
const localBuildRoute: FastifyPluginAsync<RouteContext & { pipelines: Pipelines }> = async (app, { pipelines, ...context }) => {
  app.addContentTypeParser('application/x-git-bundle', { bodyLimit: LOCAL_BUNDLE_LIMIT }, (_request, payload, done) => done(null, payload));
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/apps/:app/builds/local',
    summary: 'Build a working tree: a git bundle of one commit (its tracked files with uncommitted changes), registered as a local version, built and tested; streams the output',
    tag: 'pipelines',
    access: 'app',
    app: { params: (params) => params.app },
    params: AppParamsSchema,
    query: LocalBuildQuerySchema,
    body: z.custom<Readable>((value) => value instanceof Readable, 'a git bundle (content type application/x-git-bundle)'),
    response: BuildEventSchema,
    stream: true,
    handler: async ({ params, query, body }, _request, reply) => sendNdjson(reply, await pipelines.buildLocal(params.app, query.sha, query.pod, body)),
  });
};

/** The webhook, in a plugin of its own: here alone JSON and form bodies reach the handler as bytes (the HMAC is over them). */
const hookRoute: FastifyPluginAsync<RouteContext & { pipelines: Pipelines }> = async (app, { pipelines, ...context }) => {
  app.removeContentTypeParser(['application/json']);
  for (const type of ['application/json', 'application/x-www-form-urlencoded']) app.addContentTypeParser(type, { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  defineRoute(app, context, {
    method: 'POST',
    url: '/v1/hooks/git/:app',
    summary: 'The git webhook: a GitHub (X-Hub-Signature-256) or GitLab (X-Gitlab-Token) push to the branch the app follows is fetched, built, tested and released; 401 unless signed with the app\'s secret',
    tag: 'pipelines',
    access: 'public',
    params: AppParamsSchema,
    body: RawBody,
    response: HookAnswerSchema,
    handler: async ({ params, body }, request, reply) => {
      const answer = await pipelines.receive(params.app, request.headers, body);
      // 202 when a push was taken up (carried out in the background); 200 for a ping, a duplicate, another branch.
      if (answer.accepted) reply.status(202);
      return answer;
    },
  });
};
