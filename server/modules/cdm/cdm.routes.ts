import { z } from 'zod';
import { CustomFieldSchema } from '../../cdm/entities.ts';
import {
  EntityListSchema,
  EntityNameSchema,
  MappingDirectionSchema,
  MappingFieldsSchema,
  MappingSchema,
  LivePreviewSchema,
  MappingListSchema,
  PreviewRequestSchema,
  SaveMappingSchema,
  SuggestRequestSchema,
  SuggestionSchema,
} from '../../domain/cdm.ts';
import { ErrorBodySchema } from '../../domain/common.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import {
  addCustomField,
  applyMapping,
  diffMappingVersions,
  getEntitySchema,
  getMapping,
  listEntities,
  saveMapping,
  setCustomerOverride,
  suggestForAction,
} from './cdm.service.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import { listMappings, previewRequest } from './mapping-live.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  404: ErrorBodySchema,
  409: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Canonical data model'];
const ApplyOut = z.object({
  value: z.record(z.string(), z.unknown()),
  errors: z.array(z.object({ field: z.string(), expression: z.string(), message: z.string() })),
});

export function cdmRoutes(app: App, { db }: AppDeps, runtime: ConnectionRuntime): void {
  app.get('/cdm/entities', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'The canonical entities and their core fields',
      response: { 200: EntityListSchema },
    },
    handler: () => ({ data: listEntities() }),
  });
  app.get('/cdm/schema', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: "An entity's JSON Schema, with the org's custom fields",
      querystring: z.object({ entity: EntityNameSchema }).strict(),
      response: { 200: z.record(z.string(), z.unknown()), ...errors },
    },
    handler: (request) =>
      getEntitySchema({ db, tenant: tenantOf(request), entity: request.query.entity }),
  });
  app.post('/cdm/custom-fields', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Add an org custom field to an entity (under `custom`)',
      body: z.object({ entity: EntityNameSchema, field: CustomFieldSchema }).strict(),
      response: { 201: z.unknown(), ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await addCustomField({
          db,
          tenant: tenantOf(request),
          entity: request.body.entity,
          field: request.body.field,
        }),
      ),
  });
  app.post('/cdm/suggest', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary:
        "Suggest a mapping from an action's output to an entity, with confidence and evidence per field",
      body: SuggestRequestSchema,
      response: { 200: SuggestionSchema, ...errors },
    },
    handler: (request) =>
      suggestForAction({
        db,
        tenant: tenantOf(request),
        ...request.body,
        entity: request.body.entity,
      }),
  });
  app.post('/cdm/mappings', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: 'Save a new version of a mapping (every expression and field is checked first)',
      body: SaveMappingSchema,
      response: { 201: MappingSchema, ...errors },
    },
    handler: async (request, reply) =>
      reply.code(201).send(
        await saveMapping({
          db,
          tenant: tenantOf(request),
          ...request.body,
          note: request.body.note ?? null,
        }),
      ),
  });
  app.get('/cdm/mappings', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'A mapping (the latest version, or ?version=n), with the list of versions',
      querystring: z
        .object({
          connector: z.string().min(1).max(100),
          entity: EntityNameSchema,
          direction: MappingDirectionSchema,
          version: z.coerce.number().int().min(1).optional(),
        })
        .strict(),
      response: { 200: MappingSchema.extend({ versions: z.array(z.number()) }), ...errors },
    },
    handler: (request) =>
      getMapping({
        db,
        tenant: tenantOf(request),
        ...request.query,
        version: request.query.version ?? null,
      }),
  });
  app.get('/cdm/mappings/all', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'The saved mappings: latest version of each connector × entity × direction',
      querystring: z
        .object({
          connector: z.string().min(1).max(100).optional(),
          entity: EntityNameSchema.optional(),
        })
        .strict(),
      response: { 200: MappingListSchema, ...errors },
    },
    handler: async (request) => ({
      data: await listMappings({
        db,
        tenant: tenantOf(request),
        connector: request.query.connector,
        entity: request.query.entity,
      }),
    }),
  });
  app.get('/cdm/mappings/diff', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'What changed between two versions of a mapping',
      querystring: z
        .object({
          connector: z.string().min(1).max(100),
          entity: EntityNameSchema,
          direction: MappingDirectionSchema,
          from: z.coerce.number().int().min(1),
          to: z.coerce.number().int().min(1),
        })
        .strict(),
      response: {
        200: z.object({
          from: z.number(),
          to: z.number(),
          added: z.array(z.string()),
          removed: z.array(z.string()),
          changed: z.array(z.object({ field: z.string(), from: z.string(), to: z.string() })),
        }),
        ...errors,
      },
    },
    handler: (request) => diffMappingVersions({ db, tenant: tenantOf(request), ...request.query }),
  });
  app.post('/cdm/overrides', {
    config: { permission: 'connectors:update' },
    schema: {
      tags,
      summary: "Set a customer's own expressions on top of the org mapping",
      body: z
        .object({
          connector: z.string().min(1).max(100),
          entity: EntityNameSchema,
          direction: MappingDirectionSchema,
          customerId: z.uuid(),
          fields: MappingFieldsSchema,
        })
        .strict(),
      response: {
        200: z.object({ customerId: z.string(), fields: z.record(z.string(), z.string()) }),
        ...errors,
      },
    },
    handler: (request) => setCustomerOverride({ db, tenant: tenantOf(request), ...request.body }),
  });
  app.post('/cdm/preview', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary:
        'Source, expression and result side by side for a record, or for live records fetched through connectionId + action; nothing is saved',
      body: PreviewRequestSchema,
      response: { 200: LivePreviewSchema, ...errors },
    },
    handler: (request) =>
      previewRequest({ runtime, tenant: tenantOf(request), body: request.body }),
  });
  app.post('/cdm/apply', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary:
        'Map records to or from the canonical form; per-field errors are collected per record',
      body: z
        .object({
          entity: EntityNameSchema,
          direction: MappingDirectionSchema,
          fields: MappingFieldsSchema.optional(),
          connector: z.string().min(1).max(100).optional(),
          customerId: z.uuid().optional(),
          records: z.array(z.unknown()).min(1).max(10_000),
        })
        .strict(),
      response: { 200: z.object({ data: z.array(ApplyOut) }), ...errors },
    },
    handler: async (request) => ({
      data: await applyMapping({
        db,
        tenant: tenantOf(request),
        ...request.body,
        fields: request.body.fields,
        connector: request.body.connector,
        customerId: request.body.customerId ?? null,
      }),
    }),
  });
}
