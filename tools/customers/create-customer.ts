import { defineTool } from '../define-tool.ts';
import { CreateCustomerSchema, CustomerSchema } from '../../server/domain/customer.ts';
import { createCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'create_customer',
  title: 'Create a customer',
  description:
    'Creates a customer: one tenant of your product who will connect their own apps. Give `externalId` (your id for them) so you can find them again with list_customers. Next: create_connection or start_oauth for this customer.',
  input: CreateCustomerSchema,
  output: CustomerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'customers:write',
  handler: (input, ctx) => createCustomer({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created customer ${o.name} (${o.id})`,
});
