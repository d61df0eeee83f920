// The MCP authorization flow's HTTP endpoints (thin: the logic is in mcp-oauth.service.ts):
// metadata (RFC 8414, RFC 9728), registration (RFC 7591), the consent page, the token endpoint.
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../../db/database.ts';
import type { App } from '../../http/types.ts';
import { isAppError } from '../../errors.ts';
import { SESSION_COOKIE } from '../people/sessions.service.ts';
import { currentPerson, sessionPerson } from './current-person.ts';
import {
  authorizationServerMetadata,
  allow,
  asksReadOnly,
  checkAuthorizationRequest,
  deny,
  exchangeToken,
  OAuthProtocolError,
  protectedResourceMetadata,
  redirectWith,
  registerClient,
  revokeToken,
  type AuthorizationRequest,
} from './mcp-oauth.service.ts';
import { parseResource } from './resources.ts';

const PUBLIC = (reason: string) => ({ permission: 'public' as const, reason });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formAction(redirectUri: string): string {
  const url = new URL(redirectUri);
  // The consent form's answer is a redirect to the client: CSP form-action must allow it.
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

// Typed or chosen on the page, so never carried over as hidden fields.
const CREDENTIAL_FIELDS = new Set(['api_key', 'email', 'password', 'decision', 'access']);

function consentPage({
  request,
  params,
  message,
  signedInAs,
}: {
  request: AuthorizationRequest;
  params: Record<string, string>;
  message: string | null;
  /** The signed-in person's email, when the page saw their session. */
  signedInAs: string | null;
}): string {
  const hidden = Object.entries(params)
    .filter(([name]) => !CREDENTIAL_FIELDS.has(name))
    .map(
      ([name, value]) =>
        `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`,
    )
    .join('\n');
  const what =
    request.resource.plane === 'admin'
      ? 'the Weft admin MCP server: every tool your role allows (connectors, connections, workflows, …)'
      : `the MCP gateway of customer <code>${escapeHtml(request.resource.customerId)}</code>: that customer’s connected apps only`;
  const client = escapeHtml(request.clientName ?? request.clientId);
  // The client may ask for reading only; otherwise the person may narrow it to that here.
  const access = asksReadOnly(request.scope)
    ? '<p>It asks to <strong>read only</strong>: it can look, not change anything.</p>'
    : `<p><label><input type="checkbox" name="access" value="read"${params['access'] === 'read' ? ' checked' : ''}> Read only: let it look, not change anything</label></p>`;
  const field = (label: string, name: string, type: string, autocomplete: string) =>
    `<p><label>${label}<br><input type="${type}" name="${name}" autocomplete="${autocomplete}" style="width:100%"></label></p>`;
  const signIn = signedInAs
    ? `<p>Signed in as <strong>${escapeHtml(signedInAs)}</strong>.</p>`
    : `<fieldset><legend>Sign in</legend>
${field('Email', 'email', 'email', 'username')}
${field('Password', 'password', 'password', 'current-password')}
<details><summary>Or use an API key</summary>${field('API key', 'api_key', 'password', 'off')}</details>
</fieldset>`;
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Allow ${client}?</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<body style="font-family:system-ui;margin:3rem auto;max-width:34rem;line-height:1.5">
<h1>Allow ${client} to use Weft?</h1>
<p><strong>${client}</strong> asks to act as you on ${what}.</p>
${access}
<p>It will be sent back to <code>${escapeHtml(request.redirectUri)}</code>.</p>
${message ? `<p role="alert" style="color:#a00">${escapeHtml(message)}</p>` : ''}
<form method="post" action="/oauth/authorize">
${hidden}
${signIn}
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form></body></html>`;
}

function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Cannot authorize</title>
<body style="font-family:system-ui;margin:3rem auto;max-width:34rem"><h1>Cannot authorize this client</h1><p>${escapeHtml(message)}</p></body></html>`;
}

function stringParams(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries((value ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

function protocolError(reply: FastifyReply, error: OAuthProtocolError, status = 400): FastifyReply {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ error: error.error, error_description: error.message });
}

export function mcpOAuthRoutes(
  app: App,
  {
    db,
    baseUrl,
    rateLimitPerMinute,
  }: { db: Database; baseUrl: () => string; rateLimitPerMinute: number },
): void {
  app.get('/.well-known/oauth-authorization-server', {
    config: PUBLIC('MCP clients discover the authorization server before they hold a token'),
    schema: { hide: true },
    handler: () => authorizationServerMetadata({ baseUrl: baseUrl() }),
  });

  // RFC 9728, path-aware: /.well-known/oauth-protected-resource/<path of the MCP endpoint>.
  const resourceMetadata = (request: FastifyRequest, reply: FastifyReply) => {
    const base = baseUrl();
    const path = request.url
      .split('?', 1)[0]
      ?.slice('/.well-known/oauth-protected-resource'.length);
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const called = `${base}${path === '' || path === undefined ? '/mcp' : path}${query}`;
    const resource = parseResource({ baseUrl: base, text: called });
    if (!resource) {
      return reply.code(404).send({ error: 'not_found', error_description: 'no such resource' });
    }
    return protectedResourceMetadata({
      baseUrl: base,
      resource,
      // A gateway called by query is advertised as called, so the client's resource check passes.
      ...(query !== '' && { advertised: called }),
    });
  };
  for (const url of [
    '/.well-known/oauth-protected-resource',
    '/.well-known/oauth-protected-resource/mcp',
    '/.well-known/oauth-protected-resource/mcp/admin',
    '/.well-known/oauth-protected-resource/mcp/gateway',
    '/.well-known/oauth-protected-resource/mcp/gateway/:customerId',
  ]) {
    app.get(url, {
      config: PUBLIC('MCP clients read how to authorize from the endpoint that refused them'),
      schema: { hide: true },
      handler: resourceMetadata,
    });
  }

  // Registration, the consent page and the token endpoint (which take HTML form bodies): no key
  // identifies these callers, so they are rate-limited by address.
  app.register(async (forms) => {
    await forms.register(fastifyRateLimit, { max: rateLimitPerMinute, timeWindow: 60_000 });

    forms.post('/oauth/register', {
      config: PUBLIC(
        'dynamic client registration (RFC 7591): a client registers before anyone signs in',
      ),
      schema: { hide: true },
      handler: async (request, reply) => {
        try {
          return await reply
            .code(201)
            .header('cache-control', 'no-store')
            .send(await registerClient({ db, body: request.body }));
        } catch (error) {
          if (error instanceof OAuthProtocolError) return protocolError(reply, error);
          throw error;
        }
      },
    });

    forms.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 64 * 1024 },
      (_request, body, parsed) => {
        parsed(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );

    const page = (reply: FastifyReply, status: number, html: string, redirectUri?: string) =>
      reply
        .code(status)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-frame-options', 'DENY')
        .header(
          'content-security-policy',
          `default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'${redirectUri ? ` ${formAction(redirectUri)}` : ''}`,
        )
        .send(html);

    const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
      const params = stringParams(request.method === 'GET' ? request.query : request.body);
      const base = baseUrl();
      let checked: AuthorizationRequest;
      try {
        checked = await checkAuthorizationRequest({ db, baseUrl: base, params });
      } catch (error) {
        if (error instanceof OAuthProtocolError && error.redirect) {
          return reply.redirect(
            redirectWith({
              redirectUri: error.redirect.redirectUri,
              params: {
                error: error.error,
                error_description: error.message,
                state: error.redirect.state,
                iss: base,
              },
            }),
            302,
          );
        }
        if (isAppError(error)) return page(reply, 400, errorPage(error.message));
        throw error;
      }
      if (request.method === 'GET') {
        const signedIn = await sessionPerson({ db, request });
        return page(
          reply,
          200,
          consentPage({
            request: checked,
            params,
            message: null,
            signedInAs: signedIn?.label ?? null,
          }),
          checked.redirectUri,
        );
      }
      if (params['decision'] !== 'allow') {
        return reply
          .header('cache-control', 'no-store')
          .redirect(deny({ baseUrl: base, request: checked }), 303);
      }
      const again = (status: number, message: string) =>
        page(
          reply,
          status,
          consentPage({ request: checked, params, message, signedInAs: null }),
          checked.redirectUri,
        );
      try {
        const decided = await currentPerson({ db, request, origin: new URL(base).origin });
        if (!decided) return await again(401, 'Sign in to allow it.');
        const { person, session } = decided;
        const target = await allow({
          db,
          baseUrl: base,
          person,
          request: checked,
          readOnly: params['access'] === 'read',
        });
        // Signed in on this page: the person stays signed in, as with the web app's sign-in.
        if (session) {
          reply.setCookie(SESSION_COOKIE, session.token, {
            path: '/',
            httpOnly: true,
            sameSite: 'strict',
            secure: request.protocol === 'https',
            expires: session.expiresAt,
          });
        }
        return await reply.header('cache-control', 'no-store').redirect(target, 303);
      } catch (error) {
        if (isAppError(error)) return again(error.status, error.message);
        throw error;
      }
    };
    forms.get('/oauth/authorize', {
      config: PUBLIC('the consent page: the person signs in on it'),
      schema: { hide: true },
      handler: authorize,
    });
    forms.post('/oauth/authorize', {
      config: PUBLIC('the consent decision: the person signs in with it'),
      schema: { hide: true },
      handler: authorize,
    });

    forms.post('/oauth/revoke', {
      config: PUBLIC('token revocation (RFC 7009): the client presents the token it gives up'),
      schema: { hide: true },
      handler: async (request, reply) => {
        await revokeToken({ db, params: stringParams(request.body) });
        return reply.header('cache-control', 'no-store').code(200).send({});
      },
    });

    forms.post('/oauth/token', {
      config: PUBLIC('the token endpoint: the client proves itself with PKCE or a refresh token'),
      schema: { hide: true },
      handler: async (request, reply) => {
        try {
          const tokens = await exchangeToken({
            db,
            baseUrl: baseUrl(),
            params: stringParams(request.body),
          });
          return await reply.header('cache-control', 'no-store').send(tokens);
        } catch (error) {
          if (error instanceof OAuthProtocolError) return protocolError(reply, error);
          throw error;
        }
      },
    });
  });
}
