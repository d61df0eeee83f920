// Serves the web app at `/`: the bundle built by web/build.ts (reused when the sources are
// unchanged), its static files, and index.html for every client route (/connectors/petstore, ...)
// so that a reload or a shared link opens the right page. Paths of the API, MCP, webhooks and the
// health check are never answered with the page: an unknown one there stays a JSON 404. The pages
// carry a strict Content Security Policy (scripts and styles from this origin only, API calls to
// this origin only). If the build fails, the API keeps serving and `/` says why.
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { declareScopeAccess } from '../server/http/permissions.ts';
import { buildWebApp } from './build.ts';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  // Connector icons are URLs people give (https only); nothing else loads from elsewhere.
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_THE_APP = /^\/(api|mcp|hooks|health)(\/|$|\?)/;

function secureHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
}

/** Registers the web app's routes on `app` (before listening). */
export async function registerWebApp(
  app: FastifyInstance,
  { logger }: { logger: FastifyBaseLogger },
): Promise<void> {
  let dir: string | null = null;
  let failure = '';
  try {
    const done = await buildWebApp();
    dir = done.dir;
    if (done.built) logger.info({ ms: Math.round(done.ms), dir }, 'built the web app');
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error }, 'could not build the web app; the API serves without it');
  }
  await app.register(async (web) => {
    declareScopeAccess(web, {
      permission: 'public',
      reason: 'the web app is the same static files for everyone; its data comes from the API',
    });
    web.addHook('onSend', async (_request, reply) => {
      secureHeaders(reply);
    });
    if (dir) {
      await web.register(fastifyStatic, {
        root: dir,
        wildcard: false,
        index: false,
        serve: true,
        setHeaders: (reply, file) => {
          // Asset names carry their content hash; index.html must be revalidated.
          reply.header(
            'cache-control',
            file.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
          );
        },
      });
    }
    const page = async (url: string, reply: FastifyReply) => {
      if (NOT_THE_APP.test(url)) return reply.callNotFound();
      if (!dir) {
        return reply
          .code(503)
          .type('text/plain; charset=utf-8')
          .send(`The web app could not be built (${failure}). The API at /api/v1 still works.`);
      }
      reply.header('cache-control', 'no-cache');
      return reply.type('text/html; charset=utf-8').sendFile('index.html', dir);
    };
    web.get('/', { schema: { hide: true } }, (request, reply) => page(request.url, reply));
    web.get('/*', { schema: { hide: true } }, (request, reply) => page(request.url, reply));
  });
}
