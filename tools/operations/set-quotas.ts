import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { QuotasSchema, SetQuotasSchema } from '../../server/domain/usage.ts';
import { setQuotas } from '../../server/modules/usage/usage.service.ts';

export default defineTool({
  name: 'set_quotas',
  title: 'Set customer quotas',
  description:
    "Sets a customer's monthly limits (null removes one); past one, new work is refused with 429 quota_exceeded.",
  input: SetQuotasSchema.extend({ customerId: z.uuid() }).strict(),
  output: QuotasSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'settings:write',
  handler: ({ customerId, ...input }, ctx) =>
    setQuotas({ db: ctx.db, tenant: ctx.tenant, customerId, input }),
  summarize: (o) =>
    `quotas of ${o.customerId}: executions ${o.executions ?? '—'}, action calls ${o.actionCalls ?? '—'}, agent tokens ${o.agentTokens ?? '—'}`,
});
