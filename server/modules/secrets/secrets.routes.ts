import { z } from 'zod';
import { ErrorBodySchema } from '../../domain/common.ts';
import { PutSecretSchema, SecretNameParamsSchema, SecretSchema } from '../../domain/secret.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { deleteSecret, listSecrets, putSecret } from './secrets.service.ts';

const errors = {
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Secrets'];

export function secretsRoutes(app: App, { db, keyring }: AppDeps): void {
  app.get('/secrets', {
    config: { permission: 'secrets:read' },
    schema: {
      tags,
      summary: 'List the org secrets: names and times, never values',
      response: { 200: z.object({ data: z.array(SecretSchema) }), ...errors },
    },
    handler: async (request) => ({ data: await listSecrets({ db, tenant: tenantOf(request) }) }),
  });

  app.put('/secrets/:name', {
    config: { permission: 'secrets:write' },
    schema: {
      tags,
      summary: 'Create a secret or replace its value (the value is never returned)',
      params: SecretNameParamsSchema,
      body: PutSecretSchema,
      response: {
        200: SecretSchema,
        201: SecretSchema,
        400: ErrorBodySchema,
        413: ErrorBodySchema,
        422: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const { secret, created } = await putSecret({
        db,
        keyring,
        tenant: tenantOf(request),
        name: request.params.name,
        value: request.body.value,
      });
      return reply.code(created ? 201 : 200).send(secret);
    },
  });

  app.delete('/secrets/:name', {
    config: { permission: 'secrets:write' },
    schema: {
      tags,
      summary: 'Delete a secret',
      params: SecretNameParamsSchema,
      response: { 204: z.null(), 404: ErrorBodySchema, 422: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) => {
      await deleteSecret({ db, tenant: tenantOf(request), name: request.params.name });
      return reply.code(204).send(null);
    },
  });
}
