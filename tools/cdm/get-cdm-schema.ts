import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { getEntitySchema } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'get_cdm_schema',
  title: 'Get a canonical entity’s schema',
  description:
    "Returns the JSON Schema of a canonical entity, with the org's custom fields under `custom`. Target fields of a to_canonical mapping must exist here.",
  input: z
    .object({
      entity: z
        .string()
        .min(1)
        .max(50)
        .describe('Contact, Product, Order, Invoice, InventoryLevel or Fulfillment'),
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
