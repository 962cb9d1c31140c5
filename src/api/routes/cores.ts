import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CoreViewSchema } from '../../contract/cores.js';
import { SnapshotSchema } from '../../contract/backup.js';
import type { Backups, Cores } from '../../core/index.js';
import { defineRoute, type RouteContext } from '../route.js';

/** `GET /v1/cores`: the live cores on this store, so a client given one learns the others; `GET /v1/store/snapshot`: the store, for a restore. */
export const coreRoutes: FastifyPluginAsync<RouteContext & { cores: Cores; backups: Backups }> = async (app, { cores, backups, ...context }) => {
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/cores',
    summary: 'The live cores sharing this store (each holds a lease): id, the URL it advertises, which one leads, which one answered',
    tag: 'cores',
    access: 'read',
    response: z.array(CoreViewSchema),
    handler: () => cores.list(),
  });
  defineRoute(app, context, {
    method: 'GET',
    url: '/v1/store/snapshot',
    summary: 'Every record of the store at one revision (lease-bound ones aside), for `eru core --restore`; admin only: it holds token hashes and env values',
    tag: 'cores',
    access: 'admin',
    response: SnapshotSchema,
    handler: () => backups.snapshot(),
  });
};
