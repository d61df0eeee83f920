import { z } from 'zod';
import { ErrorBodySchema } from '../../domain/common.ts';
import {
  ActionInputSchema,
  ActionSchema,
  ConnectorDocumentSchema,
  ConnectorSchema,
  CreateConnectorSchema,
  EventInputSchema,
  EventSchema,
  UpdateConnectorSchema,
} from '../../domain/connector.ts';
import { OAuthAppSchema, PutOAuthAppSchema } from '../../domain/connection.ts';
import { ImportOutcomeSchema, ImportRequestSchema } from '../../domain/import.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { importSpecIntoConnector, specSourceOf } from './import.service.ts';
import { getOAuthApp, putOAuthApp } from '../connections/oauth.service.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import {
  createConnector,
  deleteAction,
  deleteConnector,
  deleteEvent,
  exportConnector,
  getAction,
  getConnector,
  importConnectorDocument,
  listActions,
  listConnectors,
  listEvents,
  putAction,
  putEvent,
  updateConnector,
} from './connectors.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Connectors'];
const Ref = z.string().min(1).max(100).describe('Connector id or slug');
const ConnectorParams = z.object({ connector: Ref }).strict();
const ActionParams = z
  .object({ connector: Ref, action: z.string().min(1).max(100).describe('Action id or slug') })
  .strict();
const EventParams = z
  .object({ connector: Ref, event: z.string().min(1).max(200).describe('Event id or name') })
  .strict();

/** The JSON Schema of the connector export format, for editors and CI checks. */
export const connectorDocumentJsonSchema = z.toJSONSchema(ConnectorDocumentSchema, {
  io: 'input',
  unrepresentable: 'any',
});

export function connectorsRoutes(app: App, { db }: AppDeps, runtime: ConnectionRuntime): void {
  app.get('/connectors', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'List connectors',
      response: { 200: z.object({ data: z.array(ConnectorSchema) }), ...errors },
    },
    handler: async (request) => ({ data: await listConnectors({ db, tenant: tenantOf(request) }) }),
  });
  app.post('/connectors', {
    config: { permission: 'connectors:create' },
    schema: {
      tags,
      summary: 'Create a connector',
      body: CreateConnectorSchema,
      response: { 201: ConnectorSchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createConnector({ db, tenant: tenantOf(request), input: request.body })),
  });
  app.post('/connectors/import-definition', {
    config: { permission: 'connectors:create' },
    schema: {
      tags,
      summary:
        'Create a connector from an exported document (replace=true overwrites the same slug)',
      querystring: z.object({ replace: z.enum(['true', 'false']).default('false') }).strict(),
      body: ConnectorDocumentSchema,
      response: { 201: ConnectorSchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await importConnectorDocument({
          db,
          tenant: tenantOf(request),
          document: request.body,
          replace: request.query.replace === 'true',
        }),
      ),
  });
  app.post('/connectors/import', {
    config: { permission: 'connectors:create' },
    bodyLimit: 60 * 1024 * 1024,
    schema: {
      tags,
      summary:
        'Import an OpenAPI 3.x, Swagger 2.0 or Postman v2.1 spec (by URL, as text or by specId) into a connector; re-importing shows a diff and applies it only when asked',
      body: ImportRequestSchema,
      response: {
        200: ImportOutcomeSchema,
        201: ImportOutcomeSchema,
        413: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const body = request.body;
      const outcome = await importSpecIntoConnector({
        db,
        tenant: tenantOf(request),
        source: await specSourceOf({
          db,
          tenant: tenantOf(request),
          url: body.url,
          text: body.text,
          specId: body.specId,
        }),
        fetchText: runtime.fetchText,
        selection: body.selection,
        slug: body.slug,
        apply: body.apply,
        removeMissing: body.removeMissing,
        dryRun: body.dryRun,
      });
      return reply.code(outcome.outcome === 'created' ? 201 : 200).send(outcome);
    },
  });
  app.get('/connectors/:connector', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'Get a connector',
      params: ConnectorParams,
      response: { 200: ConnectorSchema, ...errors },
    },
    handler: (request) =>
      getConnector({ db, tenant: tenantOf(request), ref: request.params.connector }),
  });
  app.patch('/connectors/:connector', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Update a connector',
      params: ConnectorParams,
      body: UpdateConnectorSchema,
      response: { 200: ConnectorSchema, ...errors },
    },
    handler: (request) =>
      updateConnector({
        db,
        tenant: tenantOf(request),
        ref: request.params.connector,
        input: request.body,
      }),
  });
  app.delete('/connectors/:connector', {
    config: { permission: 'connectors:delete' },
    schema: {
      tags,
      summary: 'Delete a connector with its actions, events and connections',
      params: ConnectorParams,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteConnector({ db, tenant: tenantOf(request), ref: request.params.connector });
      return reply.code(204).send(null);
    },
  });
  app.get('/connectors/:connector/export', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'Export the definition as one versioned JSON document',
      params: ConnectorParams,
      response: { 200: ConnectorDocumentSchema, ...errors },
    },
    handler: (request) =>
      exportConnector({ db, tenant: tenantOf(request), ref: request.params.connector }),
  });

  app.get('/connectors/:connector/actions', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'List actions',
      params: ConnectorParams,
      response: { 200: z.object({ data: z.array(ActionSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listActions({ db, tenant: tenantOf(request), ref: request.params.connector }),
    }),
  });
  app.post('/connectors/:connector/actions', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Create or replace (by slug) an action',
      params: ConnectorParams,
      body: ActionInputSchema,
      response: { 200: ActionSchema, ...errors },
    },
    handler: (request) =>
      putAction({
        db,
        tenant: tenantOf(request),
        ref: request.params.connector,
        input: request.body,
      }),
  });
  app.get('/connectors/:connector/actions/:action', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'Get an action',
      params: ActionParams,
      response: { 200: ActionSchema, ...errors },
    },
    handler: (request) =>
      getAction({
        db,
        tenant: tenantOf(request),
        ref: request.params.connector,
        action: request.params.action,
      }),
  });
  app.delete('/connectors/:connector/actions/:action', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Delete an action',
      params: ActionParams,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteAction({
        db,
        tenant: tenantOf(request),
        ref: request.params.connector,
        action: request.params.action,
      });
      return reply.code(204).send(null);
    },
  });

  app.get('/connectors/:connector/events', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'List events',
      params: ConnectorParams,
      response: { 200: z.object({ data: z.array(EventSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listEvents({ db, tenant: tenantOf(request), ref: request.params.connector }),
    }),
  });
  app.post('/connectors/:connector/events', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Create or replace (by name) an event',
      params: ConnectorParams,
      body: EventInputSchema,
      response: { 200: EventSchema, ...errors },
    },
    handler: (request) =>
      putEvent({
        db,
        tenant: tenantOf(request),
        ref: request.params.connector,
        input: request.body,
      }),
  });
  app.delete('/connectors/:connector/events/:event', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Delete an event',
      params: EventParams,
      response: { 204: z.null(), ...errors },
    },
    handler: async (request, reply) => {
      await deleteEvent({
        db,
        tenant: tenantOf(request),
        ref: request.params.connector,
        event: request.params.event,
      });
      return reply.code(204).send(null);
    },
  });

  app.put('/connectors/:connector/oauth-app', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary:
        "Set the org's OAuth client for this connector (the secret is stored encrypted, never returned)",
      params: ConnectorParams,
      body: PutOAuthAppSchema,
      response: { 200: OAuthAppSchema, ...errors },
    },
    handler: (request) =>
      putOAuthApp({
        runtime,
        tenant: tenantOf(request),
        connector: request.params.connector,
        input: request.body,
      }),
  });
  app.get('/connectors/:connector/oauth-app', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: "Get the org's OAuth client (without its secret)",
      params: ConnectorParams,
      response: { 200: OAuthAppSchema, ...errors },
    },
    handler: (request) =>
      getOAuthApp({ runtime, tenant: tenantOf(request), connector: request.params.connector }),
  });
}
