import { defineTool } from '../define-tool.ts';
import { CreateCustomerSchema, CustomerSchema } from '../../server/domain/customer.ts';
import { createCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'create_customer',
  title: 'Create customer',
  description:
    'Creates a customer, a tenant of your product who connects their own apps; externalId (your id) finds them in list_customers.',
  input: CreateCustomerSchema,
  output: CustomerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'customers:write',
  handler: (input, ctx) => createCustomer({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created customer ${o.name} (${o.id})`,
});
