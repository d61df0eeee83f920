import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'delete_customer',
  title: 'Delete a customer',
  description:
    'Deletes a customer and everything that belongs to them, including their connections. Cannot be undone: try it with dryRun first.',
  input: z.object({ id: z.uuid() }).strict(),
  output: z.object({ deleted: z.literal(true), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'customers:write',
  handler: async (input, ctx) => {
    await deleteCustomer({ db: ctx.db, tenant: ctx.tenant, id: input.id });
    return { deleted: true as const, id: input.id };
  },
  summarize: (o) => `deleted customer ${o.id}`,
});
