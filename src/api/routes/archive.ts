import type { FastifyPluginAsync } from 'fastify';
import type { Readable } from 'node:stream';
import { ArchiveQuerySchema, ArchiveStatSchema, UploadAnswerSchema } from '../../contract/archive.js';
import { WorkloadIdParamsSchema } from '../../contract/workloads.js';
import { ARCHIVE_LIMIT, type WorkloadService } from '../../core/index.js';
import { drained } from '../../lib/drain.js';
import { formatMemory } from '../../lib/units.js';
import { defineRoute, type RouteContext } from '../route.js';

/** `eru cp`: tar archives into and out of a workload's container. */
export const archiveRoutes: FastifyPluginAsync<RouteContext & { workloads: WorkloadService }> = async (app, { workloads, ...context }) => {
  // An upload is the tar itself, read as a stream (not parsed, not held in memory).
  app.addContentTypeParser('application/x-tar', (_request, payload, done) => done(null, payload));
  const find = (id: string) => () => workloads.resolve(id);
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads/:id/archive/stat',
    summary: 'What is at a path in a workload\'s container: whether it exists, is a directory, its size',
    tag: 'archive',
    access: 'admin',
    params: WorkloadIdParamsSchema,
    query: ArchiveQuerySchema,
    response: ArchiveStatSchema,
    handler: ({ params, query }) => workloads.archive.stat(find(params.id), query.path),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/workloads/:id/archive',
    audited: true,
    summary: `A path of a workload's container as a tar stream (modes kept but set-id bits); over ${formatMemory(ARCHIVE_LIMIT)} it stops with an x-eru-error trailer`,
    tag: 'archive',
    access: 'admin',
    params: WorkloadIdParamsSchema,
    query: ArchiveQuerySchema,
    handler: async ({ params, query }, _request, reply) => {
      const archive = await workloads.archive.download(find(params.id), query.path);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { 'content-type': 'application/x-tar', trailer: 'x-eru-error' });
      let bytes = 0;
      for await (const chunk of archive) {
        bytes += chunk.length;
        if (bytes > workloads.archive.limit) {
          raw.addTrailers({ 'x-eru-error': `${query.path} is over the copy limit of ${formatMemory(workloads.archive.limit)}; nothing was written here` });
          break; // leaving the loop closes Docker's stream
        }
        if (raw.destroyed) break;
        if (!raw.write(chunk)) await drained(raw);
      }
      raw.end();
    },
  });
  defineRoute(app, context, {
    method: 'PUT',
    url: '/v1/workloads/:id/archive',
    summary: `Unpack a tar (content-type application/x-tar, up to ${formatMemory(ARCHIVE_LIMIT)}) into a directory of a workload's container; nothing is written unless it all arrived`,
    tag: 'archive',
    access: 'admin',
    params: WorkloadIdParamsSchema,
    query: ArchiveQuerySchema,
    response: UploadAnswerSchema,
    handler: ({ params, query }, request) => workloads.archive.upload(find(params.id), query.path, request.body as Readable),
  });
};
