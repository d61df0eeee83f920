import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'delete_connector',
  title: 'Delete connector',
  description: 'Deletes a connector with its actions, events and every connection to it.',
  input: z.object({ connector: z.string().min(1).max(100) }).strict(),
  output: z.object({ deleted: z.literal(true), connector: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'connectors:delete',
  handler: async (input, ctx) => {
    await deleteConnector({ db: ctx.db, tenant: ctx.tenant, ref: input.connector });
    return { deleted: true as const, connector: input.connector };
  },
  summarize: (o) => `deleted connector ${o.connector}`,
});
