import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { getEntitySchema } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'get_cdm_schema',
  title: 'Get canonical schema',
  description:
    "A canonical entity's JSON Schema, the org's custom fields under `custom`: what to_canonical mappings may target.",
  input: z
    .object({
      entity: z.string().min(1).max(50),
    })
    .strict(),
  output: z.object({ schema: z.record(z.string(), z.unknown()) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (input, ctx) => ({
    schema: await getEntitySchema({ db: ctx.db, tenant: ctx.tenant, entity: input.entity }),
  }),
  summarize: () => 'entity schema',
});
