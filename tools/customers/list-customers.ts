import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ListCustomersQuerySchema, CustomerSchema } from '../../server/domain/customer.ts';
import { listCustomers } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'list_customers',
  title: 'List customers',
  description: 'Lists customers, or finds one by externalId.',
  input: ListCustomersQuerySchema.partial({ limit: true }),
  output: z.object({ data: z.array(CustomerSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'customers:read',
  handler: (input, ctx) =>
    listCustomers({
      db: ctx.db,
      tenant: ctx.tenant,
      query: {
        limit: input.limit ?? 50,
        ...(input.cursor !== undefined && { cursor: input.cursor }),
        ...(input.externalId !== undefined && { externalId: input.externalId }),
      },
    }),
  summarize: (o) => `${o.data.length} customers${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
