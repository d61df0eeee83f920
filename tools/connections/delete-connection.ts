import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'delete_connection',
  title: 'Delete connection',
  description: 'Deletes a connection and its stored credentials.',
  input: z.object({ connectionId: z.uuid() }).strict(),
  output: z.object({ deleted: z.literal(true), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'connections:delete',
  handler: async (input, ctx) => {
    await deleteConnection({
      runtime: { ...ctx.runtime, db: ctx.db },
      tenant: ctx.tenant,
      id: input.connectionId,
    });
    return { deleted: true as const, id: input.connectionId };
  },
  summarize: (o) => `deleted connection ${o.id}`,
});
