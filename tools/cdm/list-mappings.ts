import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EntityNameSchema, MappingListSchema } from '../../server/domain/cdm.ts';
import { listMappings } from '../../server/modules/cdm/mapping-live.ts';

export default defineTool({
  name: 'list_mappings',
  title: 'List saved mappings',
  description: 'Lists saved mappings (latest version of each connector × entity × direction).',
  input: z
    .object({
      connector: z.string().min(1).max(100).optional(),
      entity: EntityNameSchema.optional(),
    })
    .strict(),
  output: MappingListSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (input, ctx) => ({
    data: await listMappings({
      db: ctx.db,
      tenant: ctx.tenant,
      connector: input.connector,
      entity: input.entity,
    }),
  }),
  summarize: (o) => `${o.data.length} mappings`,
});
