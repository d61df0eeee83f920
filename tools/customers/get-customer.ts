import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CustomerSchema } from '../../server/domain/customer.ts';
import { getCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'get_customer',
  title: 'Get customer',
  description: 'One customer by id (from list_customers or create_customer).',
  input: z.object({ customerId: z.uuid() }).strict(),
  output: CustomerSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'customers:read',
  handler: (input, ctx) => getCustomer({ db: ctx.db, tenant: ctx.tenant, id: input.customerId }),
  summarize: (o) => `customer ${o.name} (${o.id})`,
});
