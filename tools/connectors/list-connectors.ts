import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectorSchema } from '../../server/domain/connector.ts';
import { listConnectors } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'list_connectors',
  title: 'List connectors',
  description: 'Lists connectors with their auth methods and action and event counts.',
  input: z.object({}).strict(),
  output: z.object({ data: z.array(ConnectorSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (_input, ctx) => ({
    data: await listConnectors({ db: ctx.db, tenant: ctx.tenant }),
  }),
  summarize: (o) => `${o.data.length} connectors: ${o.data.map((c) => c.slug).join(', ')}`,
});
