import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectionSchema } from '../../server/domain/connection.ts';
import { listConnections } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'list_connections',
  title: 'List connections',
  description: 'Lists connections (of a customer or connector) with status and reason.',
  input: z
    .object({ customerId: z.uuid().optional(), connector: z.string().max(100).optional() })
    .strict(),
  output: z.object({ data: z.array(ConnectionSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connections:read',
  handler: async (input, ctx) => ({
    data: await listConnections({
      runtime: ctx.runtime,
      tenant: ctx.tenant,
      customerId: input.customerId,
      connector: input.connector,
    }),
  }),
  summarize: (o) => `${o.data.length} connections`,
});
