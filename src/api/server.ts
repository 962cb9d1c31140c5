import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { statusOf } from '../contract/errors.js';
import { ARCHIVE_LIMIT, type Core } from '../core/index.js';
import { EruError, ErrorCode } from '../lib/errors.js';
import { Gate } from './auth.js';
import { registerExecAttach } from './exec.js';
import { DEFAULT_LIMITS, registerBodyDeadline, type ServerLimits } from './limits.js';
import { registerMetrics } from './metrics.js';
import { registerUi } from './ui.js';
import { archiveRoutes } from './routes/archive.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { execRoutes } from './routes/exec.js';
import { ApiDocument, type RouteContext } from './route.js';
import { agentRoutes } from './routes/agents.js';
import { tokenRoutes } from './routes/tokens.js';
import { auditRoutes } from './routes/audit.js';
import { checkRoutes } from './routes/check.js';
import { coreRoutes } from './routes/cores.js';
import { appRoutes } from './routes/apps.js';
import { eventRoutes } from './routes/events.js';
import { imageRoutes } from './routes/images.js';
import { networkRoutes } from './routes/networks.js';
import { nodeRoutes } from './routes/nodes.js';
import { podRoutes } from './routes/pods.js';
import { serviceRoutes } from './routes/services.js';
import { workloadRoutes } from './routes/workloads.js';

const BODY_LIMIT = 1024 * 1024;

/** How a core serves: its limits, whether /metrics needs a token, and its certificate (PEM) for HTTPS. */
export interface ServerOptions extends ServerLimits {
  /** /metrics without a token (else a read token: Prometheus's `authorization` setting). */
  publicMetrics: boolean;
  tls?: { cert: string; key: string; clientCa?: string };
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = { ...DEFAULT_LIMITS, publicMetrics: false };

const HTTP_TIMEOUTS = { headersTimeout: 15_000, requestTimeout: 0 };

/**
 * The core's HTTP(S) API: `/healthz`, `/metrics`, `/openapi.json`, the resource routes under `/v1`,
 * and the dashboard's static files at `/ui`.
 * HTTP only: each route group maps requests onto the core and its answers (or EruErrors) back.
 */
export async function buildServer(core: Core, log: FastifyBaseLogger, options: ServerOptions = DEFAULT_SERVER_OPTIONS): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log.child({}, { serializers: { req: requestForLog } }),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    // A client that never finishes its headers is dropped; bodies have their own deadline (limits.ts).
    http: HTTP_TIMEOUTS,
    ...(options.tls
      ? {
          https: {
            ...HTTP_TIMEOUTS,
            // `eru exec` ends its side to end the command's stdin and still reads the output.
            allowHalfOpen: true,
            cert: options.tls.cert,
            key: options.tls.key,
            minVersion: 'TLSv1.2' as const,
            // With a client CA, only clients holding a certificate it signed get to send a token at all.
            ...(options.tls.clientCa ? { ca: options.tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
          },
        }
      : {}),
  });
  const gate = new Gate(core.auth, options);
  const context: RouteContext = { gate, audit: core.audit, document: new ApiDocument() };

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof EruError) {
      const status = statusOf(error.code);
      const retryAfter = (error.details as { retryAfter?: number } | undefined)?.retryAfter;
      if (error.code === ErrorCode.RATE_LIMITED && retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(status).send(error.toJSON());
    }
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send({ code: clientErrorCode(status, error.code), message: error.message });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ code: ErrorCode.INTERNAL, message: 'internal error; the core log has the details' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: ErrorCode.NOT_FOUND, message: `no route ${request.method} ${request.url.split('?')[0]}` }),
  );

  // A client that asks before sending a large body (Expect: 100-continue, as curl does) hears 413
  // before it uploads, instead of a connection closed mid-upload.
  app.server.on('checkContinue', (request, response) => {
    const length = Number(request.headers['content-length'] ?? 0);
    // A copy into a container (eru cp) is a tar of its own size limit; everything else is JSON.
    const limit = request.headers['content-type'] === 'application/x-tar' ? ARCHIVE_LIMIT : BODY_LIMIT;
    if (length > limit) {
      response.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
      response.end(JSON.stringify({ code: ErrorCode.BODY_TOO_LARGE, message: `a request body of ${length} bytes is over the limit of ${limit}` }));
      return;
    }
    response.writeContinue();
    app.server.emit('request', request, response);
  });

  registerBodyDeadline(app, options);
  registerMetrics(app, core.metrics.registry, options.publicMetrics ? null : gate);
  // Says only whether the core can work (its store answers): no store path, no pod names. 503 sends a client to another core.
  app.get('/healthz', async (_request, reply) => {
    const health = await core.cores.health();
    if (!health.ok) return reply.code(503).send({ ok: false, code: ErrorCode.STORE_UNAVAILABLE, message: health.reason });
    return { ok: true };
  });
  app.get('/openapi.json', async () => context.document.toJSON());
  // Each route group gets the one service of the core it maps onto (Fastify's encapsulation).
  await app.register(podRoutes, { ...context, pods: core.pods });
  await app.register(nodeRoutes, { ...context, nodes: core.nodes, drains: core.drains });
  await app.register(workloadRoutes, { ...context, workloads: core.workloads, deploys: core.deploys });
  await app.register(eventRoutes, { ...context, events: core.events });
  await app.register(agentRoutes, { ...context, agents: core.agents });
  await app.register(tokenRoutes, context);
  await app.register(auditRoutes, context);
  await app.register(checkRoutes, { ...context, checks: core.checks });
  await app.register(coreRoutes, { ...context, cores: core.cores, backups: core.backups });
  await app.register(appRoutes, { ...context, apps: core.apps, pipelines: core.pipelines, volumes: core.volumes });
  await app.register(imageRoutes, { ...context, images: core.images });
  await app.register(networkRoutes, { ...context, networks: core.networks });
  await app.register(serviceRoutes, { ...context, services: core.services, applies: core.applies });
  await app.register(execRoutes, { ...context, workloads: core.workloads });
  await app.register(archiveRoutes, { ...context, workloads: core.workloads });
  await app.register(pipelineRoutes, { ...context, pipelines: core.pipelines });
  registerExecAttach(app, gate, core.workloads.exec);
  registerUi(app);
  return app;
}

/** A request as the log shows it: without its query string (a token or secret put there must not land in a log file). */
function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return { method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip };
}

function clientErrorCode(status: number, code: string | undefined): ErrorCode {
  if (status === 413) return ErrorCode.BODY_TOO_LARGE;
  if (status === 415) return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
  if (code === 'FST_ERR_CTP_INVALID_JSON_BODY' || code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return ErrorCode.INVALID_JSON;
  return status === 404 ? ErrorCode.NOT_FOUND : ErrorCode.INVALID_ARGUMENT;
}
