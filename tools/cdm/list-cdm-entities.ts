import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EntityListSchema } from '../../server/domain/cdm.ts';
import { listEntities } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'list_cdm_entities',
  title: 'List the canonical entities',
  description:
    'Lists the Canonical Data Model entities (Contact, Product, Order, Invoice, InventoryLevel, Fulfillment) with their core fields. Data moves between connectors through these. Next: get_cdm_schema for one, or suggest_mapping for an action.',
  input: z.object({}).strict(),
  output: EntityListSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: () => Promise.resolve({ data: listEntities() }),
  summarize: (o) => o.data.map((e) => e.name).join(', '),
});
