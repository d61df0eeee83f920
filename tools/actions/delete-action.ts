import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteAction } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'delete_action',
  title: 'Delete action',
  description: 'Deletes one action from a connector.',
  input: z
    .object({ connector: z.string().min(1).max(100), action: z.string().min(1).max(100) })
    .strict(),
  output: z.object({ deleted: z.literal(true), action: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'connectors:update',
  handler: async (input, ctx) => {
    await deleteAction({
      db: ctx.db,
      tenant: ctx.tenant,
      ref: input.connector,
      action: input.action,
    });
    return { deleted: true as const, action: input.action };
  },
  summarize: (o) => `deleted action ${o.action}`,
});
