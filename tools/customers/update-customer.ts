import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CustomerSchema } from '../../server/domain/customer.ts';
import { updateCustomer } from '../../server/modules/customers/customers.service.ts';

export default defineTool({
  name: 'update_customer',
  title: 'Update customer',
  description: "Changes a customer's name, externalId or metadata (replaced whole).",
  input: z
    .object({
      customerId: z.uuid(),
      name: z.string().trim().min(1).max(255).optional(),
      externalId: z.string().trim().min(1).max(255).nullable().optional(),
      metadata: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  output: CustomerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'customers:write',
  handler: ({ customerId, ...rest }, ctx) =>
    updateCustomer({ db: ctx.db, tenant: ctx.tenant, id: customerId, input: rest }),
  summarize: (o) => `updated customer ${o.name}`,
});
