import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import type { Gate } from './auth.js';

/**
 * Times every request into the core's registry and serves the registry at /metrics: to any token but
 * a node's when a gate is given (the figures name pods and apps), to anyone otherwise.
 */
export function registerMetrics(app: FastifyInstance, registry: Registry, gate: Gate | null): void {
  const apiSeconds = new Histogram({
    name: 'eru_core_api_request_seconds',
    help: 'API request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    apiSeconds.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get('/metrics', async (request, reply) => {
    await gate?.admit(request.headers.authorization, request.ip, 'read');
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
