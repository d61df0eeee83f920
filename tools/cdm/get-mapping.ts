import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import {
  EntityNameSchema,
  MappingDirectionSchema,
  MappingSchema,
} from '../../server/domain/cdm.ts';
import { getMapping } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'get_mapping',
  title: 'Read saved mapping',
  description:
    'One saved mapping with its expressions and versions; read before save_mapping, which writes a whole new version.',
  input: z
    .object({
      connector: z.string().min(1).max(100),
      entity: EntityNameSchema,
      direction: MappingDirectionSchema.default('to_canonical'),
      version: z.number().int().min(1).optional(),
    })
    .strict(),
  output: MappingSchema.extend({ versions: z.array(z.number()) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    getMapping({
      db: ctx.db,
      tenant: ctx.tenant,
      connector: input.connector,
      entity: input.entity,
      direction: input.direction,
      version: input.version ?? null,
    }),
  summarize: (o) =>
    `${o.entity} ${o.direction} v${o.version}: ${Object.keys(o.fields).length} fields`,
});
