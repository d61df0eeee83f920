// Serves the connect widget: the hosted page at /embed?token=… (framed by a customer-facing app
// or opened directly), the host script at /embed.js, the page the OAuth popup ends on, and the
// bundles under /embed/assets/. The page's Content Security Policy names, in frame-ancestors,
// exactly the origins the token's widget allows, so a page anywhere else cannot frame it (and
// with none allowed, nobody can). A page whose token is refused says why, and may be framed by
// anyone: it holds nothing and does nothing but tell the host page the link did not work.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Database } from '../server/db/database.ts';
import type { Keyring } from '../server/crypto/envelope.ts';
import { AppError } from '../server/errors.ts';
import { declareScopeAccess } from '../server/http/permissions.ts';
import { openSession } from '../server/modules/embed/session.service.ts';
import { buildEmbed, type EmbedBuild } from './embed-build.ts';

function policy(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    // The widget's logo is an https URL the org gives.
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors.length > 0 ? frameAncestors.join(' ') : "'none'"}`,
  ].join('; ');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page({
  build,
  title,
  body = '',
}: {
  build: EmbedBuild;
  title: string;
  body?: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="/embed/assets/${build.files.widgetCss}">
</head>
<body>
<div id="weft-widget">${body}</div>
<script type="module" src="/embed/assets/${build.files.widgetJs}"></script>
</body>
</html>`;
}

const Query = z
  .object({ token: z.string().max(2000).optional(), host: z.string().max(300).optional() })
  .passthrough();

/** Registers the widget's pages and scripts on `app` (before listening). */
export async function registerEmbed(
  app: FastifyInstance,
  { db, keyring, logger }: { db: Database; keyring: Keyring; logger: FastifyBaseLogger },
): Promise<void> {
  let build: EmbedBuild | null = null;
  let failure = '';
  try {
    build = await buildEmbed();
    if (build.built) logger.info({ ms: Math.round(build.ms), dir: build.dir }, 'built the widget');
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    logger.warn({ err: error }, 'could not build the connect widget; the API serves without it');
  }
  await app.register((embed, _options, ready) => {
    declareScopeAccess(embed, {
      permission: 'public',
      reason:
        'the widget page checks its embed token itself; the scripts are the same for everyone',
    });
    embed.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('x-content-type-options', 'nosniff');
      // The token is in the page's URL: never send it on as a Referer.
      reply.header('referrer-policy', 'no-referrer');
      done(null, payload);
    });
    const unavailable = (reply: FastifyReply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send(`The connect widget could not be built (${failure}).`);

    embed.get('/embed', { schema: { hide: true } }, async (request, reply) => {
      if (!build) return unavailable(reply);
      const { token } = Query.parse(request.query);
      reply.header('cache-control', 'no-store');
      try {
        if (!token) {
          throw new AppError('bad_request', 'this connect link has no token', {
            reason: 'missing',
          });
        }
        const session = await openSession({ db, keyring, token, requestId: request.id });
        reply.header('content-security-policy', policy(session.widget.allowedOrigins));
        return reply
          .type('text/html; charset=utf-8')
          .send(page({ build, title: session.widget.branding.title }));
      } catch (error) {
        if (!(error instanceof AppError)) throw error;
        const frameable = policy([]).replace("frame-ancestors 'none'", 'frame-ancestors *');
        reply.header('content-security-policy', frameable);
        return reply
          .code(error.status)
          .type('text/html; charset=utf-8')
          .send(
            page({
              build,
              title: 'Connect',
              body: `<main class="refused" data-reason="${escapeHtml(typeof error.details?.['reason'] === 'string' ? error.details['reason'] : 'refused')}"><h1>This link does not work</h1><p role="alert">${escapeHtml(error.message)}</p></main>`,
            }),
          );
      }
    });

    embed.get('/embed/oauth-done', { schema: { hide: true } }, async (_request, reply) => {
      if (!build) return unavailable(reply);
      reply.header('content-security-policy', policy([]));
      reply.header('cache-control', 'no-store');
      return reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Connected</title>
<link rel="stylesheet" href="/embed/assets/${build.files.widgetCss}"></head>
<body><main class="done"><h1>Connected</h1><p>You can close this window.</p></main>
<script type="module" src="/embed/assets/${build.files.doneJs}"></script></body></html>`);
    });

    embed.get('/embed.js', { schema: { hide: true } }, async (_request, reply) => {
      if (!build) return unavailable(reply);
      const text = await readFile(path.join(build.dir, build.files.embedJs), 'utf8');
      return reply
        .header('cache-control', 'no-cache')
        .header('access-control-allow-origin', '*')
        .type('text/javascript; charset=utf-8')
        .send(text);
    });

    embed.get<{ Params: { file: string } }>(
      '/embed/assets/:file',
      { schema: { hide: true } },
      async (request, reply) => {
        if (!build) return unavailable(reply);
        const { file } = request.params;
        const known = [build.files.widgetJs, build.files.widgetCss, build.files.doneJs];
        if (!known.includes(file)) return reply.callNotFound();
        const text = await readFile(path.join(build.dir, file), 'utf8');
        return reply
          .header('cache-control', 'public, max-age=31536000, immutable')
          .type(
            file.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
          )
          .send(text);
      },
    );
    ready();
  });
}
