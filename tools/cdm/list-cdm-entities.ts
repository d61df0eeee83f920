import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EntityListSchema } from '../../server/domain/cdm.ts';
import { listEntities } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'list_cdm_entities',
  title: 'List canonical entities',
  description:
    'Lists the canonical entities (Contact, Order, …) and their core fields: the shapes data takes between connectors.',
  input: z.object({}).strict(),
  output: EntityListSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: () => Promise.resolve({ data: listEntities() }),
  summarize: (o) => o.data.map((e) => e.name).join(', '),
});
