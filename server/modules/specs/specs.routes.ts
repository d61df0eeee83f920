import { z } from 'zod';
import { ErrorBodySchema } from '../../domain/common.ts';
import {
  CreateSpecSchema,
  SPEC_MAX_BYTES,
  SpecParamsSchema,
  SpecSchema,
  SpecWithTextSchema,
} from '../../domain/spec.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { createSpec, getSpec } from './specs.service.ts';

const errors = { 401: ErrorBodySchema, 403: ErrorBodySchema, 429: ErrorBodySchema };
const tags = ['Specs'];

export function specsRoutes(app: App, { db }: AppDeps): void {
  app.post('/specs', {
    config: { permission: 'connectors:create' },
    bodyLimit: SPEC_MAX_BYTES + 64 * 1024,
    schema: {
      tags,
      summary: 'Store a spec once; import it by specId (POST /connectors/import { specId })',
      body: CreateSpecSchema,
      response: {
        200: SpecSchema,
        201: SpecSchema,
        413: ErrorBodySchema,
        422: ErrorBodySchema,
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const { spec, created } = await createSpec({
        db,
        tenant: tenantOf(request),
        text: request.body.text,
        name: request.body.name,
      });
      return reply.code(created ? 201 : 200).send(spec);
    },
  });

  app.get('/specs/:specId', {
    config: { permission: 'connectors:read' },
    schema: {
      tags,
      summary: 'A stored spec: size, hash, and its text with ?text=true',
      params: SpecParamsSchema,
      querystring: z.object({ text: z.enum(['true', 'false']).default('false') }).strict(),
      response: { 200: SpecWithTextSchema, 404: ErrorBodySchema, ...errors },
    },
    handler: (request) =>
      getSpec({
        db,
        tenant: tenantOf(request),
        specId: request.params.specId,
        withText: request.query.text === 'true',
      }),
  });
}
