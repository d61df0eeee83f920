import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CustomerSchema } from '../../server/domain/customer.ts';
import { getCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'get_customer',
  title: 'Get a customer',
  description: 'Gets one customer by id (from list_customers or create_customer).',
  input: z.object({ id: z.uuid().describe('Customer id') }).strict(),
  output: CustomerSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'customers:read',
  handler: (input, ctx) => getCustomer({ db: ctx.db, tenant: ctx.tenant, id: input.id }),
  summarize: (o) => `customer ${o.name} (${o.id})`,
});
