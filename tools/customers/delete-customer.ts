import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'delete_customer',
  title: 'Delete customer',
  description: 'Deletes a customer and everything of theirs, their connections included.',
  input: z.object({ customerId: z.uuid() }).strict(),
  output: z.object({ deleted: z.literal(true), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'customers:write',
  handler: async (input, ctx) => {
    await deleteCustomer({ db: ctx.db, tenant: ctx.tenant, id: input.customerId });
    return { deleted: true as const, id: input.customerId };
  },
  summarize: (o) => `deleted customer ${o.id}`,
});
