import { z } from 'zod';
import {
  ApiKeySchema,
  CreateApiKeySchema,
  CreatedApiKeySchema,
  ListApiKeysQuerySchema,
} from '../../domain/api-key.ts';
import { ErrorBodySchema, IdParamsSchema } from '../../domain/common.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './api-keys.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['API keys'];

export function apiKeysRoutes(app: App, { db }: AppDeps): void {
  app.get('/api-keys', {
    config: { permission: 'api_keys:read' },
    schema: {
      tags,
      summary: 'List API keys (never their secrets)',
      querystring: ListApiKeysQuerySchema,
      response: { 200: z.object({ data: z.array(ApiKeySchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listApiKeys({
        db,
        tenant: tenantOf(request),
        includeRevoked: request.query.includeRevoked,
      }),
    }),
  });

  app.post('/api-keys', {
    config: { permission: 'api_keys:read' },
    schema: {
      tags,
      summary:
        'Create an API key of your own (acting with your role, optionally narrowed); the secret is in this response only',
      body: CreateApiKeySchema,
      response: { 201: CreatedApiKeySchema, ...errors },
    },
    handler: async (request, reply) => {
      const created = await createApiKey({ db, tenant: tenantOf(request), input: request.body });
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  });

  app.post('/api-keys/:id/revoke', {
    config: { permission: 'api_keys:read' },
    schema: {
      tags,
      summary:
        "Revoke an API key; it stops working at once (your own with api_keys:read, anyone's with api_keys:write)",
      params: IdParamsSchema,
      response: { 200: ApiKeySchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) => revokeApiKey({ db, tenant: tenantOf(request), id: request.params.id }),
  });
}
