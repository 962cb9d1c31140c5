import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { hostname } from 'node:os';
import { NodeService } from '../core/nodes.js';
import { randomSuffix } from '../core/placement.js';
import { Recovery } from '../core/recovery.js';
import { WorkloadService } from '../core/workloads.js';
import { Engines } from '../engine/engines.js';
import { PodService } from '../core/pods.js';
import { EruError } from '../lib/errors.js';
import { Repositories } from '../store/repositories.js';
import type { Store } from '../store/types.js';
import type { Authenticator } from './auth.js';
import { ApiDocument, type RouteContext } from './route.js';
import { nodeRoutes } from './routes/nodes.js';
import { podRoutes } from './routes/pods.js';
import { workloadRoutes } from './routes/workloads.js';

export interface ServerOptions {
  store: Store;
  authenticator: Authenticator;
  logger?: FastifyServerOptions['logger'];
  /** Replaces the Docker daemon check when adding nodes (tests of the API alone). */
  services?: { nodes?: NodeService; pods?: PodService };
}

const BODY_LIMIT = 1024 * 1024;

/** The core's HTTP API: `/healthz`, `/openapi.json`, and the resource routes under `/v1`. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT, return503OnClosing: true });
  const repos = new Repositories(options.store);
  const pods = options.services?.pods ?? new PodService(repos);
  const nodes = options.services?.nodes ?? new NodeService(repos);
  const context: RouteContext = { authenticator: options.authenticator, document: new ApiDocument() };
  const engines = new Engines();
  const owner = `${hostname()}-${process.pid}-${randomSuffix()}`;
  const workloads = new WorkloadService(repos, engines, owner);
  const recovery = new Recovery(repos, engines, owner, app.log);

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof EruError) return reply.status(error.status).send(error.toJSON());
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ code: clientErrorCode(status, error.code), message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ code: 'INTERNAL', message: 'internal error; the core log has the details' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.get('/healthz', async () => ({ ok: true, store: options.store.description }));
  app.get('/openapi.json', async () => context.document.toJSON());
  await app.register(podRoutes, { ...context, pods });
  await app.register(nodeRoutes, { ...context, nodes });
  await app.register(workloadRoutes, { ...context, repos, engines, workloads, owner });
  // Undo what dead cores left half-done before taking new work.
  await recovery.start();
  app.addHook('onClose', async () => recovery.stop());
  return app;
}

function clientErrorCode(status: number, code: string | undefined): string {
  if (status === 413) return 'BODY_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'INVALID_JSON';
  return status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT';
}
