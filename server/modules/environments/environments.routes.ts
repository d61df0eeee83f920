import { z } from 'zod';
import { ErrorBodySchema } from '../../domain/common.ts';
import {
  CreateEnvironmentSchema,
  EnvironmentParamsSchema,
  EnvironmentSchema,
} from '../../domain/environment.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { createEnvironment, deleteEnvironment, listEnvironments } from './environments.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Environments'];

export function environmentsRoutes(app: App, { db }: AppDeps): void {
  app.get('/environments', {
    config: { permission: 'settings:read' },
    schema: {
      tags,
      summary: 'The built-in environments and the ones this org created',
      response: { 200: z.object({ data: z.array(EnvironmentSchema) }), ...errors },
    },
    handler: async (request) => ({
      data: await listEnvironments({ db, tenant: tenantOf(request) }),
    }),
  });

  app.post('/environments', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: 'Create an environment to deploy workflows to',
      body: CreateEnvironmentSchema,
      response: { 201: EnvironmentSchema, 409: ErrorBodySchema, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .send(await createEnvironment({ db, tenant: tenantOf(request), input: request.body })),
  });

  app.delete('/environments/:name', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: 'Delete a custom environment and its deployments',
      params: EnvironmentParamsSchema,
      response: {
        200: z.object({
          undeployedWorkflows: z.array(z.string()),
          triggerRoutes: z.number().int().describe('Trigger routes still naming it'),
        }),
        404: ErrorBodySchema,
        409: ErrorBodySchema,
        ...errors,
      },
    },
    handler: (request) =>
      deleteEnvironment({ db, tenant: tenantOf(request), name: request.params.name }),
  });
}
