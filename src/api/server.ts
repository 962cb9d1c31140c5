import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { hostname } from 'node:os';
import { NodeService } from '../core/nodes.js';
import { randomSuffix } from '../core/placement.js';
import { Recovery } from '../core/recovery.js';
import { WorkloadService } from '../core/workloads.js';
import { Engines } from '../engine/engines.js';
import { MemoryBus } from '../bus/memory.js';
import type { Bus, Publish } from '../bus/types.js';
import type { CoreContext } from '../core/context.js';
import { PodService } from '../core/pods.js';
import { EruError } from '../lib/errors.js';
import { Repositories } from '../store/repositories.js';
import type { Store } from '../store/types.js';
import { tokenAuthenticator } from './auth.js';
import { Liveness } from '../core/liveness.js';
import { agentRoutes } from './routes/agents.js';
import { appRoutes } from './routes/apps.js';
import { imageRoutes } from './routes/images.js';
import { AppService } from '../core/apps.js';
import { CoreMetrics } from './metrics.js';
import { ApiDocument, type RouteContext } from './route.js';
import { nodeRoutes } from './routes/nodes.js';
import { podRoutes } from './routes/pods.js';
import { eventRoutes } from './routes/events.js';
import { workloadRoutes } from './routes/workloads.js';
import { DEFAULT_BIND_ROOTS } from '../core/app-binds.js';
import { migrateLedgers } from '../core/migrations.js';

export interface ServerOptions {
  store: Store;
  /** The admin bearer token; node tokens are issued by the core and resolved through the store. */
  adminToken: string;
  /** Seconds without a heartbeat before a node is marked down. */
  nodeTtlSeconds?: number;
  /** Push builds here and pull on nodes (HOST:PORT); else images are copied node to node. */
  registry?: string;
  /** Host directories app.yaml binds may use (default /srv/eru, /var/log/eru). */
  bindRoots?: string[];
  logger?: FastifyServerOptions['logger'];
  /** Where changes are broadcast; in-process when not given. */
  bus?: Bus;
  /** Replaces the Docker daemon check when adding nodes (tests of the API alone). */
  services?: { nodes?: NodeService; pods?: PodService };
}

const BODY_LIMIT = 1024 * 1024;

/** The core's HTTP API: `/healthz`, `/openapi.json`, and the resource routes under `/v1`. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT, return503OnClosing: true });
  const repos = new Repositories(options.store);
  const bus = options.bus ?? new MemoryBus();
  const publish: Publish = (e) => void bus.publish(e).catch((error: unknown) => app.log.warn({ err: error, event: e.type }, 'cannot publish'));
  const core: CoreContext = {
    repos,
    engines: new Engines(),
    publish,
    owner: `${hostname()}-${process.pid}-${randomSuffix()}`,
    bindRoots: options.bindRoots ?? DEFAULT_BIND_ROOTS,
    ...(options.registry ? { registry: options.registry } : {}),
  };
  const pods = options.services?.pods ?? new PodService(repos, publish);
  const nodes = options.services?.nodes ?? new NodeService(repos, publish);
  const liveness = new Liveness(core, options.nodeTtlSeconds, app.log);
  const authenticator = tokenAuthenticator(options.adminToken, (token) => liveness.nodeOfToken(token));
  const context: RouteContext = { authenticator, document: new ApiDocument() };
  const workloads = new WorkloadService(core);
  const recovery = new Recovery(core, app.log);

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

  // A client that asks before sending a large body (Expect: 100-continue, as curl does) hears 413
  // before it uploads, instead of a connection closed mid-upload.
  app.server.on('checkContinue', (request, response) => {
    const length = Number(request.headers['content-length'] ?? 0);
    if (length > BODY_LIMIT) {
      response.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ code: 'BODY_TOO_LARGE', message: `a request body of ${length} bytes is over the limit of ${BODY_LIMIT}` }));
      return;
    }
    response.writeContinue();
    app.server.emit('request', request, response);
  });

  const metrics = new CoreMetrics(repos);
  metrics.register(app);

  app.get('/healthz', async () => ({ ok: true, store: options.store.description }));
  app.get('/openapi.json', async () => context.document.toJSON());
  await app.register(podRoutes, { ...context, pods });
  await app.register(nodeRoutes, { ...context, nodes });
  await app.register(workloadRoutes, { ...context, core, workloads, metrics });
  await app.register(eventRoutes, { ...context, bus });
  await app.register(agentRoutes, { ...context, liveness });
  await app.register(appRoutes, { ...context, core, apps: new AppService(repos, core.bindRoots, publish) });
  await app.register(imageRoutes, { ...context, core });
  // Bring what older cores stored up to date, and undo what dead cores left half-done, before taking new work.
  await migrateLedgers(core, app.log);
  await recovery.start();
  liveness.start();
  app.addHook('onClose', async () => {
    await liveness.stop();
    await recovery.stop();
  });
  return app;
}

function clientErrorCode(status: number, code: string | undefined): string {
  if (status === 413) return 'BODY_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'INVALID_JSON';
  return status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT';
}
