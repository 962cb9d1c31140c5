import { readFileSync, readdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { ErrorCode } from '../lib/errors.js';

/** Where `npm run build` puts the dashboard (scripts/build-web.mjs): dist/web, beside dist/src. */
const WEB_DIR = new URL('../../web/', import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The page may load only its own files and talk only to this core; it is never framed. The token
 * lives in the tab's session storage and goes out as a bearer header, so no cookie is involved.
 */
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/**
 * The dashboard at `/ui`: the static files of dist/web, read once at start. Static and public (the
 * data comes through the API with the token the user signs in with). A core built without them
 * answers /ui with a 404 that says so.
 */
export function registerUi(app: FastifyInstance): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  try {
    for (const name of readdirSync(WEB_DIR)) {
      const extension = name.slice(name.lastIndexOf('.'));
      if (TYPES[extension]) files.set(name, { body: readFileSync(new URL(name, WEB_DIR)), type: TYPES[extension]! });
    }
  } catch {
    // not built: every /ui request says so below
  }
  app.get('/ui', async (_request, reply) => reply.redirect('/ui/'));
  app.get('/ui/*', async (request, reply) => {
    const name = (request.params as { '*': string })['*'] || 'index.html';
    const file = files.get(name);
    if (!file) {
      const message = files.size === 0 ? 'the dashboard was not built (npm run build)' : `no file ${name} in the dashboard`;
      return reply.status(404).send({ code: ErrorCode.NOT_FOUND, message });
    }
    // The page itself is always fresh; its assets too (small, and one build may replace another).
    return reply.headers({ ...SECURITY_HEADERS, 'content-type': file.type, 'cache-control': 'no-cache' }).send(file.body);
  });
}
