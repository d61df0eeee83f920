import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyRequest,
  type RouteOptions,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ping } from '../server/db/repositories/system.repo.ts';
import { AppError } from '../server/errors.ts';
import { frameworkErrors, installErrorHandling } from '../server/http/error-handler.ts';
import { installInputGuards } from '../server/http/input.ts';
import { declareScopeAccess, enforceDeclaredPermissions } from '../server/http/permissions.ts';
import { redactUrl } from '../server/logger.ts';
import type { App, AppDeps } from '../server/http/types.ts';
import { agentRunsRoutes } from '../server/modules/agent-runs/agent-runs.routes.ts';
import { assistantRoutes } from '../server/modules/assistant/assistant.routes.ts';
import { apiKeysRoutes } from '../server/modules/api-keys/api-keys.routes.ts';
import { alertsRoutes } from '../server/modules/alerts/alerts.routes.ts';
import { auditRoutes } from '../server/modules/audit/audit.routes.ts';
import { createAuthCache } from '../server/modules/auth/auth-cache.ts';
import { authenticateApiKey } from '../server/modules/auth/auth.service.ts';
import { customersRoutes } from '../server/modules/customers/customers.routes.ts';
import { accountRoutes } from '../server/modules/people/account.routes.ts';
import {
  authRoutes,
  peopleRoutes,
  sessionTokenOf,
} from '../server/modules/people/people.routes.ts';
import { csrfTokenOf, sameToken } from '../server/modules/people/secrets.ts';
import { authenticateSession } from '../server/modules/people/sessions.service.ts';
import { environmentsRoutes } from '../server/modules/environments/environments.routes.ts';
import { secretsRoutes } from '../server/modules/secrets/secrets.routes.ts';
import { specsRoutes } from '../server/modules/specs/specs.routes.ts';
import { usageRoutes } from '../server/modules/usage/usage.routes.ts';
import { gatewayRoutes } from '../server/modules/gateway/gateway.routes.ts';
import { workflowsRoutes } from '../server/modules/workflows/workflows.routes.ts';
import { createAppEventVerifier } from '../server/modules/triggers/app-event-verify.ts';
import { hookRoutes } from '../server/modules/triggers/hooks.ts';
import { triggersRoutes } from '../server/modules/triggers/triggers.routes.ts';
import { connectionsRoutes } from '../server/modules/connections/connections.routes.ts';
import { cdmRoutes } from '../server/modules/cdm/cdm.routes.ts';
import { completeAuthorization } from '../server/modules/connections/oauth.service.ts';
import {
  connectorDocumentJsonSchema,
  connectorsRoutes,
} from '../server/modules/connectors/connectors.routes.ts';
import { traceRequests } from '../server/telemetry/http-server.ts';
import { authenticateAccessToken } from '../server/modules/mcp-oauth/mcp-oauth.service.ts';
import { mcpOAuthRoutes } from '../server/modules/mcp-oauth/mcp-oauth.routes.ts';
import { resourceMetadataUrl, type McpResource } from '../server/modules/mcp-oauth/resources.ts';
import { WEFT_VERSION } from '../server/version.ts';
import { mcpRoutes } from '../tools/mcp/http.ts';
import { registerWebApp } from '../web/serve.ts';
import { registerEmbed } from '../web/embed-serve.ts';
import { widgetApiRoutes, widgetsRoutes } from '../server/modules/embed/embed.routes.ts';
import { createSetupAssistant } from './assistant.ts';
import type { Services } from './services.ts';

export const API_KEY_HEADER = 'x-fastn-api-key';
/** Writes made with the session cookie carry the session's CSRF token in this header. */
export const CSRF_HEADER = 'x-weft-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function callbackPage({ ok, message }: { ok: boolean; message: string }): string {
  return `<!doctype html><meta charset="utf-8"><title>${ok ? 'Connected' : 'Connection failed'}</title>
<body style="font-family:system-ui;margin:4rem auto;max-width:32rem"><h1>${ok ? 'Connected' : 'Connection failed'}</h1><p>${escapeHtml(message)}</p></body>`;
}

/** Builds the HTTP app without listening; `app/main.ts` listens, tests use `inject`. */
export async function buildApp(
  services: Services,
  {
    onRoute,
  }: {
    /** Sees every route as registered, with its declared permission (tests list them). */
    onRoute?: (route: RouteOptions) => void;
  } = {},
): Promise<App> {
  const deps: AppDeps = services;
  // Typed as fastify's logger interface, so the app is the `App` every route module takes.
  const logger: FastifyBaseLogger = services.logger;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: deps.config.bodyLimitBytes,
    // One line per request, written by the onResponse hook below, instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false } },
    // Path parameters up to 128 characters (secret names); fastify's default stops at 100.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  // First, so that every other hook and route runs inside the request's span.
  if (services.telemetry) traceRequests(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only; a text body is a client mistake, answered with 415.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);
  installInputGuards(app);
  enforceDeclaredPermissions(app);
  await app.register(fastifyCookie);
  if (onRoute) app.addHook('onRoute', onRoute);
  app.decorateRequest('tenant', null);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: redactUrl(request.url),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 100) / 100,
        apiKeyId: request.tenant?.actor.id,
      },
      'request completed',
    );
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Weft API',
        version: WEFT_VERSION,
        description:
          'Customers, connectors, connections, workflows and executions of a Weft installation.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: API_KEY_HEADER } },
      },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(async (docs) => {
    declareScopeAccess(docs, {
      permission: 'public',
      reason: 'the API documentation is the same for everyone and opens in a browser',
    });
    await docs.register(fastifySwaggerUi, { routePrefix: '/api/v1/docs' });
  });

  app.get('/health', {
    config: { permission: 'public', reason: 'load balancers and probes carry no key' },
    schema: {
      tags: ['System'],
      summary: 'Liveness and database check',
      security: [],
      response: {
        200: z.object({
          status: z.literal('ok'),
          version: z.string(),
          database: z.enum(['pg', 'pglite']),
        }),
      },
    },
    handler: async () => {
      await deps.db.owner((sql) => ping(sql));
      return { status: 'ok' as const, version: WEFT_VERSION, database: deps.db.driver };
    },
  });

  app.get(
    '/api/v1/openapi.json',
    {
      config: { permission: 'public', reason: 'client generators fetch the API description' },
      schema: { hide: true },
    },
    () => app.swagger(),
  );
  app.get('/api/v1/connectors/format.schema.json', {
    config: { permission: 'public', reason: 'editors validate connector files against it' },
    schema: {
      tags: ['Connectors'],
      summary: 'JSON Schema of the connector export format (no key needed)',
      security: [],
    },
    handler: () => connectorDocumentJsonSchema,
  });

  const authCache = await createAuthCache({ db: deps.db });
  app.addHook('onClose', () => authCache.close());
  const { runtime, workflows: workflowRunner, triggers: triggerDeps } = services;
  app.addHook('onListen', (done) => {
    services.listeningAt(app.addresses()[0]);
    done();
  });

  // The provider sends the user's browser here: no API key, the one-time state identifies it.
  app.get('/api/v1/oauth/callback', {
    config: { permission: 'public', reason: "the provider's redirect carries the one-time state" },
    schema: {
      tags: ['Connections'],
      summary: 'OAuth 2.0 redirect target (called by the provider, not by you)',
      security: [],
      querystring: z
        .object({
          state: z.string().max(200),
          code: z.string().max(4000).optional(),
          error: z.string().max(200).optional(),
        })
        .passthrough(),
    },
    handler: async (request, reply) => {
      const q = request.query;
      try {
        const done = await completeAuthorization({
          runtime,
          state: q.state,
          code: q.code,
          error: q.error,
        });
        if (done.returnUrl) {
          const target = new URL(done.returnUrl);
          target.searchParams.set('connectionId', done.connectionId);
          target.searchParams.set('status', 'connected');
          return reply.redirect(target.toString(), 302);
        }
        return reply
          .type('text/html')
          .send(callbackPage({ ok: true, message: 'Connected. You can close this window.' }));
      } catch (error) {
        if (error instanceof AppError) {
          return reply
            .code(error.status)
            .type('text/html')
            .send(callbackPage({ ok: false, message: error.message }));
        }
        throw error;
      }
    },
  });

  // An API key when the request sends one; otherwise a person's session cookie, whose writes
  // must carry its CSRF token (a cross-site form or script can send the cookie, not the token).
  const authenticate = (request: FastifyRequest) => {
    const header = request.headers[API_KEY_HEADER];
    const session = header === undefined ? sessionTokenOf(request) : null;
    if (session !== null) {
      if (!SAFE_METHODS.has(request.method)) {
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !sameToken(sent, csrfTokenOf(session))) {
          throw new AppError(
            'forbidden',
            `a write made with the session cookie must send its CSRF token in ${CSRF_HEADER}`,
            { rule: 'csrf' },
          );
        }
      }
      return authenticateSession({ db: deps.db, token: session, requestId: request.id });
    }
    return authenticateApiKey({
      db: deps.db,
      cache: authCache,
      key: Array.isArray(header) ? header[0] : header,
      requestId: request.id,
      onTouchError: (error) => request.log.warn({ err: error }, 'could not record API key use'),
    });
  };
  // MCP clients that speak only OAuth send an access token bound to the endpoint they call.
  // Clients that cannot send headers may put the key in the query (redacted from logs).
  const authenticateMcp = (request: FastifyRequest, resource: McpResource | null) => {
    const authorization = request.headers.authorization;
    if (authorization !== undefined && /^bearer /i.test(authorization)) {
      if (resource === null) {
        throw new AppError('unauthorized', 'an access token needs the gateway URL of one customer');
      }
      return authenticateAccessToken({
        db: deps.db,
        baseUrl: services.publicBaseUrl(),
        token: authorization.slice('bearer '.length).trim(),
        resource,
        requestId: request.id,
      });
    }
    const fromQuery = (request.query as Record<string, unknown> | undefined)?.['api_key'];
    if (request.headers[API_KEY_HEADER] === undefined && typeof fromQuery === 'string') {
      return authenticateApiKey({
        db: deps.db,
        cache: authCache,
        key: fromQuery,
        requestId: request.id,
      });
    }
    return authenticate(request);
  };
  const router = await services.events();
  // The public webhook endpoint reads the raw body: signatures are over the exact bytes.
  await app.register((hooks, _options, done) => {
    hooks.removeAllContentTypeParsers();
    hooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
      done(null, body);
    });
    hookRoutes(hooks, {
      router,
      keyring: deps.keyring,
      verifyAppEvent: createAppEventVerifier({ runtime }),
    });
    done();
  });

  mcpOAuthRoutes(app, {
    db: deps.db,
    baseUrl: services.publicBaseUrl,
    rateLimitPerMinute: deps.config.rateLimitPerMinute,
  });
  await mcpRoutes(app, {
    services: (tenant) => services.toolServices(tenant),
    authenticate: authenticateMcp,
    resourceMetadataUrl: (request) => {
      const [path = '', query] = request.url.split('?', 2);
      const customerId = (request.query as Record<string, unknown> | undefined)?.['customer_id'];
      return resourceMetadataUrl({
        baseUrl: services.publicBaseUrl(),
        path,
        // Only the customer survives into the metadata URL (not a key, not toolsets).
        search:
          query !== undefined && typeof customerId === 'string'
            ? `?customer_id=${encodeURIComponent(customerId)}`
            : '',
      });
    },
  });

  // Signing in: no key or session yet, so limited per address.
  await app.register(
    async (auth) => {
      await auth.register(fastifyRateLimit, {
        max: Math.min(deps.config.rateLimitPerMinute, 30),
        timeWindow: 60_000,
      });
      authRoutes(auth, deps);
    },
    { prefix: '/api/v1/auth' },
  );

  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request) => {
        request.tenant = await authenticate(request);
      });
      await v1.register(fastifyRateLimit, {
        hook: 'preHandler',
        max: deps.config.rateLimitPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request) => request.tenant?.actor.id ?? request.ip,
        errorResponseBuilder: (_request, context) =>
          new AppError(
            'rate_limited',
            `rate limit of ${context.max} requests per minute reached; retry after ${context.after}`,
            {
              retryAfterSeconds: Math.ceil(context.ttl / 1000),
            },
          ),
      });
      customersRoutes(v1, deps);
      connectorsRoutes(v1, deps, runtime);
      connectionsRoutes(v1, runtime);
      cdmRoutes(v1, deps, runtime);
      apiKeysRoutes(v1, deps);
      peopleRoutes(v1, deps, { baseUrl: services.publicBaseUrl });
      accountRoutes(v1, deps);
      auditRoutes(v1, deps);
      environmentsRoutes(v1, deps);
      alertsRoutes(v1, deps);
      usageRoutes(v1, deps);
      secretsRoutes(v1, deps);
      specsRoutes(v1, deps);
      gatewayRoutes(v1, deps);
      workflowsRoutes(v1, deps, workflowRunner);
      triggersRoutes(v1, triggerDeps, () => Promise.resolve(router));
      agentRunsRoutes(v1, deps, services.agentRuns);
      assistantRoutes(v1, deps, createSetupAssistant(services));
      widgetsRoutes(v1, { ...deps, baseUrl: services.publicBaseUrl });
    },
    { prefix: '/api/v1' },
  );

  // The connect widget's API, for holders of an embed token instead of an API key.
  await app.register(
    async (widget) => {
      await widget.register(fastifyRateLimit, {
        hook: 'preHandler',
        max: deps.config.rateLimitPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request) => request.tenant?.actor.label ?? request.ip,
      });
      widgetApiRoutes(widget, {
        ...deps,
        runtime,
        triggers: triggerDeps,
        workflows: workflowRunner,
        publicUrl: runtime.publicUrl,
      });
    },
    { prefix: '/embed/api' },
  );

  // The web app at `/` (built from web/src when its sources changed; the API works without it).
  await registerWebApp(app, { logger });
  // The connect widget's page, the host script and its bundles (/embed, /embed.js).
  await registerEmbed(app, { db: deps.db, keyring: deps.keyring, logger });

  return app;
}
