import { randomUUID } from 'node:crypto';
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
import type { Logger } from 'pino';
import { z } from 'zod';
import { ping } from '../server/db/repositories/system.repo.ts';
import { AppError } from '../server/errors.ts';
import { frameworkErrors, installErrorHandling } from '../server/http/error-handler.ts';
import { installInputGuards } from '../server/http/input.ts';
import { declareScopeAccess, enforceDeclaredPermissions } from '../server/http/permissions.ts';
import { redactUrl } from '../server/logger.ts';
import type { App, AppDeps } from '../server/http/types.ts';
import { apiKeysRoutes } from '../server/modules/api-keys/api-keys.routes.ts';
import { auditRoutes } from '../server/modules/audit/audit.routes.ts';
import { createAuthCache } from '../server/modules/auth/auth-cache.ts';
import { authenticateApiKey } from '../server/modules/auth/auth.service.ts';
import { customersRoutes } from '../server/modules/customers/customers.routes.ts';
import { secretsRoutes } from '../server/modules/secrets/secrets.routes.ts';
import {
  openWorkflowEngine,
  queueOptionsOf,
  type WorkflowEngine,
} from '../server/runtime/engines.ts';
import { workflowsRoutes } from '../server/modules/workflows/workflows.routes.ts';
import { createAppEventVerifier } from '../server/modules/triggers/app-event-verify.ts';
import { hookRoutes } from '../server/modules/triggers/hooks.ts';
import { createEventRouter } from '../server/runtime/event-router.ts';
import { triggersRoutes } from '../server/modules/triggers/triggers.routes.ts';
import type { TriggerDeps } from '../server/modules/triggers/triggers.service.ts';
import { connectionsRoutes } from '../server/modules/connections/connections.routes.ts';
import { cdmRoutes } from '../server/modules/cdm/cdm.routes.ts';
import { completeAuthorization } from '../server/modules/connections/oauth.service.ts';
import {
  createConnectionRuntime,
  type ConnectionRuntime,
} from '../server/modules/connections/runtime.ts';
import {
  connectorDocumentJsonSchema,
  connectorsRoutes,
} from '../server/modules/connectors/connectors.routes.ts';
import { WEFT_VERSION } from '../server/version.ts';
import { mcpRoutes } from '../tools/http.ts';

export const API_KEY_HEADER = 'x-fastn-api-key';
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function callbackPage({ ok, message }: { ok: boolean; message: string }): string {
  return `<!doctype html><meta charset="utf-8"><title>${ok ? 'Connected' : 'Connection failed'}</title>
<body style="font-family:system-ui;margin:4rem auto;max-width:32rem"><h1>${ok ? 'Connected' : 'Connection failed'}</h1><p>${escapeHtml(message)}</p></body>`;
}

export interface BuildAppDeps extends AppDeps {
  /** Connection machinery; built from the rest when omitted. */
  readonly runtime?: ConnectionRuntime;
  /** Workflow machinery (sandbox, queue, runner); started on first use when omitted. */
  readonly workflows?: WorkflowEngine;
}

/** Builds the HTTP app without listening; `app/main.ts` listens, tests use `inject`. */
export async function buildApp(
  deps: BuildAppDeps,
  {
    logger,
    onRoute,
  }: {
    logger: FastifyBaseLogger;
    /** Sees every route as registered, with its declared permission (tests list them). */
    onRoute?: (route: RouteOptions) => void;
  },
): Promise<App> {
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

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only; a text body is a client mistake, answered with 415.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);
  installInputGuards(app);
  enforceDeclaredPermissions(app);
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
  const runtime =
    deps.runtime ??
    (await createConnectionRuntime({
      config: deps.config,
      db: deps.db,
      keyring: deps.keyring,
      onError: (message, error) => app.log.error({ err: error }, message),
    }));
  if (!deps.runtime) app.addHook('onClose', () => runtime.close());
  let engine: Promise<WorkflowEngine> | undefined = deps.workflows
    ? Promise.resolve(deps.workflows)
    : undefined;
  const workflowRunner = async () => {
    engine ??= openWorkflowEngine({
      db: deps.db,
      keyring: deps.keyring,
      runtime,
      logger: app.log as Logger,
      sandboxProcesses: deps.config.sandboxProcesses,
      queueOptions: queueOptionsOf(deps.config),
    });
    return (await engine).runner;
  };
  if (!deps.workflows) {
    app.addHook('onClose', async () => {
      // Closed before the connection runtime: a run in flight still needs it.
      if (engine) await (await engine).close();
    });
  }

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

  const authenticate = (request: FastifyRequest) => {
    const header = request.headers[API_KEY_HEADER];
    return authenticateApiKey({
      db: deps.db,
      cache: authCache,
      key: Array.isArray(header) ? header[0] : header,
      requestId: request.id,
      onTouchError: (error) => request.log.warn({ err: error }, 'could not record API key use'),
    });
  };
  // MCP clients that cannot send headers may put the key in the query (redacted from logs).
  const authenticateMcp = (request: FastifyRequest) => {
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
  const router = await createEventRouter({
    db: deps.db,
    runner: workflowRunner,
    logger: app.log as Logger,
  });
  app.addHook('onClose', () => router.close());
  const triggerDeps: TriggerDeps = {
    db: deps.db,
    keyring: deps.keyring,
    runtime,
    hookUrl: (id) => `${publicBaseUrl()}/hooks/${id}`,
  };
  const publicBaseUrl = (): string => {
    if (deps.config.publicUrl) return deps.config.publicUrl.replace(/\/$/, '');
    const address = app.addresses()[0];
    if (!address || typeof address === 'string') return `http://localhost:${deps.config.port}`;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${host === '127.0.0.1' ? 'localhost' : host}:${address.port}`;
  };
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

  await mcpRoutes(app, {
    db: deps.db,
    runtime,
    config: deps.config,
    workflows: workflowRunner,
    triggers: triggerDeps,
    events: () => Promise.resolve(router),
    authenticate: authenticateMcp,
  });

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
      cdmRoutes(v1, deps);
      apiKeysRoutes(v1, deps);
      auditRoutes(v1, deps);
      secretsRoutes(v1, deps);
      workflowsRoutes(v1, deps, workflowRunner);
      triggersRoutes(v1, triggerDeps, () => Promise.resolve(router));
    },
    { prefix: '/api/v1' },
  );

  return app;
}
