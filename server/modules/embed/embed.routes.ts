import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { ErrorBodySchema, IdSchema } from '../../domain/common.ts';
import {
  CreateWidgetSchema,
  MintedTokenSchema,
  MintTokenSchema,
  OnboardingReplySchema,
  OnboardingTurnSchema,
  UpdateWidgetSchema,
  WidgetConnectorViewSchema,
  WidgetConnectSchema,
  WidgetSchema,
  WidgetSessionSchema,
} from '../../domain/embed.ts';
import { AppError } from '../../errors.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { onboardingTurn } from './onboarding.ts';
import {
  completeWidgetOAuth,
  connectWithCredentials,
  disconnect,
  getSession,
  openSession,
  startWidgetOAuth,
  type EmbedSession,
  type SessionDeps,
} from './session.service.ts';
import {
  createWidget,
  deleteWidget,
  getWidget,
  listWidgets,
  mintToken,
  revokeToken,
  updateWidget,
} from './widgets.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Connect widget'];
const RefParams = z.object({ widget: z.string().min(1).max(100) }).strict();

/** The org's side, behind API keys (under /api/v1): widgets and the tokens that open them. */
export function widgetsRoutes(
  app: App,
  { db, keyring, baseUrl }: AppDeps & { baseUrl: () => string },
): void {
  app.get('/widgets', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'List connect widgets',
      response: { 200: z.object({ data: z.array(WidgetSchema) }), ...errors },
    },
    handler: async (request) => ({ data: await listWidgets({ db, tenant: tenantOf(request) }) }),
  });
  app.post('/widgets', {
    config: { permission: 'connectors:share' },
    schema: {
      tags,
      summary:
        'Create a connect widget: the connectors a customer may connect, the workflows each activates, branding and allowed origins',
      body: CreateWidgetSchema,
      response: { 201: WidgetSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createWidget({ db, tenant: tenantOf(request), input: request.body })),
  });
  app.get('/widgets/:widget', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'Get a connect widget (by slug or id)',
      params: RefParams,
      response: { 200: WidgetSchema, ...errors },
    },
    handler: (request) => getWidget({ db, tenant: tenantOf(request), ref: request.params.widget }),
  });
  app.patch('/widgets/:widget', {
    config: { permission: 'connectors:share' },
    schema: {
      tags,
      summary: 'Change a connect widget (the fields given replace the stored ones)',
      params: RefParams,
      body: UpdateWidgetSchema,
      response: { 200: WidgetSchema, ...errors },
    },
    handler: (request) =>
      updateWidget({
        db,
        tenant: tenantOf(request),
        ref: request.params.widget,
        input: request.body,
      }),
  });
  app.delete('/widgets/:widget', {
    config: { permission: 'connectors:share' },
    schema: {
      tags,
      summary: 'Delete a connect widget (its tokens stop working)',
      params: RefParams,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteWidget({ db, tenant: tenantOf(request), ref: request.params.widget });
      return reply.code(204).send(null);
    },
  });
  app.post('/embed/tokens', {
    config: { permission: 'connections:create' },
    schema: {
      tags,
      summary:
        'Mint a short-lived token that opens a widget for one customer (and end user); call it from your backend',
      body: MintTokenSchema,
      response: { 201: MintedTokenSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await mintToken({
          db,
          keyring,
          tenant: tenantOf(request),
          input: request.body,
          baseUrl: baseUrl(),
        }),
      ),
  });
  app.delete('/embed/tokens/:jti', {
    config: { permission: 'connections:create' },
    schema: {
      tags,
      summary: 'Revoke an embed token before it expires',
      params: z.object({ jti: IdSchema }).strict(),
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await revokeToken({ db, tenant: tenantOf(request), jti: request.params.jti });
      return reply.code(204).send(null);
    },
  });
}

const sessions = new WeakMap<FastifyRequest, EmbedSession>();

/**
 * The widget's routes take an embed token, not an API key: they authenticate it themselves
 * (the onRequest hook below), and the service behind each checks the End User permission it
 * needs (connections:read, connections:create, connections:delete, workflows:update).
 */
const WIDGET_ACCESS = {
  permission: 'any_key',
  reason: 'authenticated by an embed token; each service checks its End User permission',
} as const;

function sessionOf(request: FastifyRequest): EmbedSession {
  const session = sessions.get(request);
  if (!session) throw new Error('widget route registered outside the token scope');
  return session;
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) {
    throw new AppError('unauthorized', 'send the embed token as Authorization: Bearer <token>', {
      reason: 'missing',
    });
  }
  return match[1];
}

/** The public origin of this request, as the browser that made it sees it. */
function originOf(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

/**
 * The widget's API (prefix /embed/api), authenticated by an embed token instead of an API key.
 * Cross-origin callers (a headless client on the customer-facing page) are answered with CORS
 * headers only when their Origin is one the widget allows. These routes are left out of the
 * OpenAPI document, which describes the API-key API; the README documents them.
 */
export function widgetApiRoutes(
  scope: App,
  deps: AppDeps & SessionDeps & { publicUrl: string | undefined },
): void {
  scope.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS') return;
    const session = await openSession({
      db: deps.db,
      keyring: deps.keyring,
      token: bearer(request),
      requestId: request.id,
    });
    sessions.set(request, session);
    request.tenant = session.tenant;
  });
  scope.addHook('onSend', async (request, reply) => {
    const origin = request.headers.origin;
    const session = sessions.get(request);
    if (typeof origin === 'string' && session?.widget.allowedOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
    }
    reply.header('vary', 'Origin');
    reply.header('cache-control', 'no-store');
  });
  scope.options('/*', {
    config: {
      permission: 'public',
      reason: 'a CORS preflight carries no token and grants nothing: each real request is checked',
    },
    schema: { hide: true },
    handler: async (request, reply) => {
      const origin = request.headers.origin;
      if (typeof origin === 'string') reply.header('access-control-allow-origin', origin);
      return reply
        .header('access-control-allow-methods', 'GET, POST, DELETE')
        .header('access-control-allow-headers', 'authorization, content-type')
        .header('access-control-max-age', '600')
        .code(204)
        .send();
    },
  });

  scope.get('/session', {
    config: WIDGET_ACCESS,
    schema: {
      hide: true,
      tags,
      summary: 'What the widget shows: branding, and each connector with its status and activity',
      response: { 200: WidgetSessionSchema, ...errors },
    },
    handler: (request) => getSession({ deps, session: sessionOf(request) }),
  });
  const Connected = z.object({
    connection: WidgetConnectorViewSchema,
    activation: z.object({
      triggers: z.array(z.string()),
      runs: z.array(z.string()),
      problems: z.array(z.string()),
    }),
  });
  scope.post('/connections', {
    config: WIDGET_ACCESS,
    schema: {
      hide: true,
      tags,
      summary: 'Connect with a form of credentials: tested first, kept only if the provider agrees',
      body: WidgetConnectSchema,
      response: { 201: Connected, ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await connectWithCredentials({
          deps,
          session: sessionOf(request),
          connector: request.body.connector,
          credentials: request.body.credentials,
        }),
      ),
  });
  scope.post('/oauth/start', {
    config: WIDGET_ACCESS,
    schema: {
      hide: true,
      tags,
      summary: "Start OAuth: returns the provider's sign-in URL for a popup",
      body: z.object({ connector: z.string().min(1).max(100) }).strict(),
      response: { 200: z.object({ url: z.string(), connectionId: IdSchema }), ...errors },
    },
    handler: (request) =>
      startWidgetOAuth({
        deps,
        session: sessionOf(request),
        connector: request.body.connector,
        baseUrl: originOf(request, deps.publicUrl),
      }),
  });
  scope.post('/connections/:id/complete', {
    config: WIDGET_ACCESS,
    schema: {
      hide: true,
      tags,
      summary: 'After the OAuth popup: confirm the connection and run the activation',
      params: z.object({ id: z.string().min(1).max(100) }).strict(),
      response: { 200: Connected, ...errors },
    },
    handler: (request) =>
      completeWidgetOAuth({
        deps,
        session: sessionOf(request),
        connectionId: request.params.id,
      }),
  });
  scope.delete('/connections/:id', {
    config: WIDGET_ACCESS,
    schema: {
      hide: true,
      tags,
      summary: 'Disconnect: deactivate (runs, triggers, provider subscriptions), then delete',
      params: z.object({ id: z.string().min(1).max(100) }).strict(),
      response: {
        200: z.object({
          removedTriggers: z.array(z.string()),
          runs: z.array(z.string()),
          problems: z.array(z.string()),
        }),
        ...errors,
      },
    },
    handler: (request) =>
      disconnect({ deps, session: sessionOf(request), connectionId: request.params.id }),
  });
  scope.post('/onboarding', {
    config: WIDGET_ACCESS,
    schema: {
      hide: true,
      tags,
      summary: 'One turn of the onboarding chat (empty text starts it)',
      body: OnboardingTurnSchema,
      response: { 200: OnboardingReplySchema, ...errors },
    },
    handler: (request) =>
      onboardingTurn({ deps, session: sessionOf(request), text: request.body.text }),
  });
}
