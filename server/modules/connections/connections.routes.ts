import { z } from 'zod';
import { ErrorBodySchema, IdParamsSchema, LimitSchema } from '../../domain/common.ts';
import {
  CallResultSchema,
  ConnectionSchema,
  CreateConnectionSchema,
  ListConnectionsQuerySchema,
  OAuthStartSchema,
  ProxyRequestSchema,
  RunActionSchema,
  StartOAuthQuerySchema,
  TraceSpanSchema,
} from '../../domain/connection.ts';
import type { FastifyRequest } from 'fastify';
import { tenantOf, type App } from '../../http/types.ts';
import { getTrace, listConnectionSpans, proxyRequest, runAction } from './actions.service.ts';
import {
  createConnection,
  deleteConnection,
  getConnection,
  listConnections,
  listPlatformEvents,
  testConnection,
} from './connections.service.ts';
import { startAuthorization } from './oauth.service.ts';
import type { ConnectionRuntime } from './runtime.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Connections'];

function spanOut(span: Awaited<ReturnType<typeof getTrace>>[number]) {
  return { ...span, startedAt: span.startedAt.toISOString() };
}

/** The public base of this server, for the default OAuth redirect URI. */
export function originOf(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ?? `${request.protocol}://${request.host}`;
}

export function connectionsRoutes(app: App, runtime: ConnectionRuntime): void {
  app.get('/connections', {
    config: { permission: 'connections:read' },
    schema: {
      tags,
      summary: 'List connections',
      querystring: ListConnectionsQuerySchema,
      response: { 200: z.object({ data: z.array(ConnectionSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listConnections({
        runtime,
        tenant: tenantOf(request),
        customerId: request.query.customerId,
        connector: request.query.connector,
      }),
    }),
  });
  app.post('/connections', {
    config: { permission: 'connections:create' },
    schema: {
      tags,
      summary:
        'Create a connection with credentials (stored encrypted, never returned); OAuth 2.0 connections start pending',
      body: CreateConnectionSchema,
      response: { 201: ConnectionSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createConnection({ runtime, tenant: tenantOf(request), input: request.body })),
  });
  app.get('/connections/oauth/start', {
    config: { permission: 'connections:create' },
    schema: {
      tags,
      summary: 'Start an OAuth 2.0 authorization: returns the provider URL to send the user to',
      querystring: StartOAuthQuerySchema,
      response: { 200: OAuthStartSchema, ...errors },
    },
    handler: (request) =>
      startAuthorization({
        runtime,
        tenant: tenantOf(request),
        connector: request.query.connector,
        customerId: request.query.customerId ?? null,
        connectionId: request.query.connectionId,
        redirectUri:
          request.query.redirectUri ??
          `${originOf(request, runtime.publicUrl)}/api/v1/oauth/callback`,
        returnUrl: request.query.returnUrl ?? null,
      }),
  });
  app.get('/connections/:id', {
    config: { permission: 'connections:read' },
    schema: {
      tags,
      summary: 'Get a connection',
      params: IdParamsSchema,
      response: { 200: ConnectionSchema, ...errors },
    },
    handler: (request) =>
      getConnection({ runtime, tenant: tenantOf(request), id: request.params.id }),
  });
  app.delete('/connections/:id', {
    config: { permission: 'connections:delete' },
    schema: {
      tags,
      summary: 'Delete a connection and its stored credentials',
      params: IdParamsSchema,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteConnection({ runtime, tenant: tenantOf(request), id: request.params.id });
      return reply.code(204).send(null);
    },
  });
  app.post('/connections/:id/test', {
    config: { permission: 'connections:read' },
    schema: {
      tags,
      summary: 'Check that a connection works (renews tokens if needed, then calls a harmless GET)',
      params: IdParamsSchema,
      response: {
        200: z.object({
          ok: z.boolean(),
          status: z.number().nullable(),
          message: z.string(),
          durationMs: z.number(),
          traceId: z.string().nullable(),
          placement: z.string().optional(),
          bodyExcerpt: z.string().optional(),
          nextSteps: z.array(z.string()).optional(),
        }),
        ...errors,
      },
    },
    handler: (request) =>
      testConnection({ runtime, tenant: tenantOf(request), connectionId: request.params.id }),
  });
  app.post('/connections/:id/actions/:action', {
    config: { permission: 'connections:execute' },
    schema: {
      tags,
      summary: "Run a connector action with this connection's credentials",
      params: z
        .object({ id: IdParamsSchema.shape.id, action: z.string().min(1).max(100) })
        .strict(),
      body: RunActionSchema,
      response: { 200: CallResultSchema, 424: ErrorBodySchema, 502: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      runAction({
        runtime,
        tenant: tenantOf(request),
        connectionId: request.params.id,
        action: request.params.action,
        input: request.body.input,
        allPages: request.body.allPages,
        maxItems: request.body.maxItems,
      }),
  });
  app.post('/connections/:id/proxy', {
    config: { permission: 'connections:execute' },
    schema: {
      tags,
      summary: "Send a request through this connection's auth, within the connector's base URL",
      params: IdParamsSchema,
      body: ProxyRequestSchema,
      response: { 200: CallResultSchema, 424: ErrorBodySchema, 502: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      proxyRequest({
        runtime,
        tenant: tenantOf(request),
        connectionId: request.params.id,
        request: request.body,
      }),
  });
  app.get('/connections/:id/spans', {
    config: { permission: 'connections:read' },
    schema: {
      tags,
      summary: 'Recent outbound calls made with this connection',
      params: IdParamsSchema,
      querystring: z.object({ limit: LimitSchema }).strict(),
      response: { 200: z.object({ data: z.array(TraceSpanSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: (
        await listConnectionSpans({
          runtime,
          tenant: tenantOf(request),
          connectionId: request.params.id,
          limit: request.query.limit,
        })
      ).map(spanOut),
    }),
  });
  app.get('/traces/:traceId', {
    config: { permission: 'connections:read' },
    schema: {
      tags: ['Traces'],
      summary: 'The spans of one call (each outbound request, with status, duration and retries)',
      params: z.object({ traceId: z.string().min(1).max(100) }).strict(),
      response: { 200: z.object({ data: z.array(TraceSpanSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: (
        await getTrace({ runtime, tenant: tenantOf(request), traceId: request.params.traceId })
      ).map(spanOut),
    }),
  });
  app.get('/platform-events', {
    config: { permission: 'connections:read' },
    schema: {
      tags: ['Traces'],
      summary: 'Platform events, newest first (e.g. connection.expired)',
      querystring: z.object({ limit: LimitSchema }).strict(),
      response: {
        200: z.object({
          data: z.array(
            z.object({
              type: z.string(),
              resourceId: z.string().nullable(),
              payload: z.record(z.string(), z.unknown()),
              createdAt: z.string(),
            }),
          ),
        }),
        ...errors,
      },
    },
    handler: async (request) => ({
      data: await listPlatformEvents({
        runtime,
        tenant: tenantOf(request),
        limit: request.query.limit,
      }),
    }),
  });
}
