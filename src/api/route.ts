import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_STATUS, ErrorBodySchema } from '../contract/errors.js';
import { mayChangeApp, type Audit, type Principal } from '../core/index.js';
import { parseWith } from '../lib/validate.js';
import { checkAccess, type Access, type Gate } from './auth.js';
import { recordCall } from './audit.js';
import { CONTINUE_HEADER, type Page } from '../contract/query.js';

/**
 * A route described once: its zod schemas validate the request, type the handler and feed the
 * OpenAPI document. Route groups (routes/*.ts) are Fastify plugins that declare their routes with it.
 */
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
type AnyObject = z.ZodType<Record<string, unknown>, Record<string, unknown>>;
const Empty = z.object({});

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  method: Method;
  /** Fastify path syntax: /v1/pods/:pod */
  url: string;
  summary: string;
  tag: string;
  /** Who may call it (api/auth.ts). */
  access: Access;
  /**
   * For `app` access: the app the call changes, from its path (checked before anything else is read,
   * so a refusal is 403 whatever the body; a workload's app is looked up) or from its body.
   */
  app?: { params: (params: z.output<P>) => string | Promise<string> } | { body: (body: z.output<B>) => string } | { bodyApps: (body: z.output<B>) => string[] };
  params?: P;
  query?: Q;
  body?: B;
  response?: z.ZodType;
  /** 200 unless said; 201 for creations. */
  status?: number;
  /** The reply is an NDJSON stream, not one JSON document (the handler returns its last event, for the audit). */
  stream?: boolean;
  /**
   * true: a read recorded in the audit all the same (copies out of a container). false: a call that
   * is telemetry, not an operator's change — an agent's heartbeat and status reports, thousands a
   * second in a large cluster, whose effects are events already. Other changes always are.
   */
  audited?: boolean;
  handler: (
    input: { params: z.output<P>; query: z.output<Q>; body: z.output<B>; principal: Principal | null },
    request: FastifyRequest,
    reply: FastifyReply,
  ) => Promise<unknown>;
}

/** Everything routes need from the server: how to authenticate, and the document to describe themselves in. */
export interface RouteContext {
  gate: Gate;
  audit: Audit;
  document: ApiDocument;
}

export function defineRoute<P extends AnyObject = typeof Empty, Q extends AnyObject = typeof Empty, B extends z.ZodType = z.ZodUndefined>(
  app: FastifyInstance,
  context: RouteContext,
  spec: RouteSpec<P, Q, B>,
): void {
  if (spec.access === 'app' && !spec.app) throw new Error(`route ${spec.method} ${spec.url} has app access but names no app`);
  context.document.add(spec as unknown as RouteSpec<AnyObject, AnyObject, z.ZodType>);
  // Changes are audited, and reads that carry data out of a workload (a copy).
  const audited = spec.audited ?? spec.method !== 'GET';
  const action = `${spec.method} ${spec.url}`;
  const calls = new WeakMap<FastifyRequest, { principal: Principal | null; params: z.output<P>; app?: string; body?: unknown; started: number }>();
  const record = (call: { principal: Principal | null; params: z.output<P>; app?: string; body?: unknown; started: number }, ending: Parameters<typeof recordCall>[2]): void => {
    if (audited && call.principal) recordCall(context.audit, { ...call, principal: call.principal, action }, ending);
  };
  app.route({
    method: spec.method,
    url: spec.url,
    // Who is asking, and for which app, is settled before a byte of the body is read.
    onRequest: async (request) => {
      const started = performance.now();
      const principal = await context.gate.identify(request.headers.authorization, request.ip, spec.access);
      const call: { principal: Principal | null; params: z.output<P>; app?: string; started: number } = { principal, params: {} as z.output<P>, started };
      calls.set(request, call);
      try {
        checkAccess(principal, spec.access);
        call.params = parseWith(spec.params ?? Empty, request.params ?? {}, ['params']) as z.output<P>;
        if (spec.app && 'params' in spec.app) call.app = await spec.app.params(call.params);
        if (spec.access === 'app' && call.app !== undefined) mayChangeApp(principal, call.app);
      } catch (error) {
        record(call, { error });
        throw error;
      }
    },
    handler: async (request, reply) => {
      const call = calls.get(request)!;
      const { principal, params } = call;
      try {
        const query = parseWith(spec.query ?? Empty, request.query ?? {}, ['query']) as z.output<Q>;
        const body = (spec.body ? parseWith(spec.body, request.body ?? {}) : undefined) as z.output<B>;
        Object.assign(call, { body });
        if (spec.app && 'body' in spec.app) call.app = spec.app.body(body);
        if (spec.access === 'app' && spec.app && 'body' in spec.app) mayChangeApp(principal, call.app!);
        if (spec.app && 'bodyApps' in spec.app) {
          // A call that changes several apps (apply): each must be the caller's to change.
          const apps = [...new Set(spec.app.bodyApps(body))];
          if (spec.access === 'app') for (const app of apps) mayChangeApp(principal, app);
          call.app = apps.join(',');
        }
        const result = await spec.handler({ params, query, body, principal }, request, reply);
        // A handler may answer with another success status than the route's usual one (a webhook: 202 when it took a push up).
        const status = reply.statusCode !== 200 ? reply.statusCode : (spec.status ?? 200);
        record(call, { status, result });
        if (reply.sent) return reply;
        reply.status(status);
        return result;
      } catch (error) {
        record(call, { error });
        throw error;
      }
    },
  });
}

/** The OpenAPI 3.1 document, built from the same schemas the routes validate with. */
export class ApiDocument {
  private readonly routes: Array<RouteSpec<AnyObject, AnyObject, z.ZodType>> = [];

  add(route: RouteSpec<AnyObject, AnyObject, z.ZodType>): void {
    this.routes.push(route);
  }

  toJSON(): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes) {
      const path = route.url.replace(/:(\w+)/g, '{$1}');
      const parameters = [
        ...objectParameters(route.params, 'path'),
        ...objectParameters(route.query, 'query'),
      ];
      const status = String(route.status ?? 200);
      const operation: Record<string, unknown> = {
        summary: route.summary,
        tags: [route.tag],
        'x-eru-access': route.access,
        ...(route.access === 'public' ? { security: [] } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
        responses: {
          [status]: {
            description: route.stream ? 'NDJSON stream: one event (the schema below) per line; long operations end with a result event' : 'success',
            ...(route.response
              ? { content: { [route.stream ? 'application/x-ndjson' : 'application/json']: { schema: jsonSchema(route.response, 'output') } } }
              : {}),
          },
          default: { description: 'an error: its code says which (see the Error schema)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      };
      (paths[path] ??= {})[route.method.toLowerCase()] = operation;
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Eru core API', version: '1' },
      servers: [{ url: '/' }],
      security: [{ bearer: [] }],
      paths,
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Error: {
            ...jsonSchema(ErrorBodySchema, 'output'),
            description: `Every error reply. The HTTP status by code: ${Object.entries(ERROR_STATUS).map(([code, status]) => `${code} ${status}`).join(', ')}.`,
          },
        },
      },
    };
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function objectParameters(schema: AnyObject | undefined, where: 'path' | 'query'): Array<Record<string, unknown>> {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

/** A page of a list as the reply: its items, and the next page's token in the Eru-Continue header. */
export function paged<T>(reply: FastifyReply, page: Page<T>): T[] {
  if (page.next) void reply.header(CONTINUE_HEADER, page.next);
  return page.items;
}
