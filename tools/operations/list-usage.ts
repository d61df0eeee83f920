import { defineTool } from '../define-tool.ts';
import { UsageQuerySchema, UsageReportSchema } from '../../server/domain/usage.ts';
import { getUsage } from '../../server/modules/usage/usage.service.ts';

export default defineTool({
  name: 'list_usage',
  title: 'List usage per customer',
  description:
    'Executions, action calls and agent tokens per customer in a month, with their quotas.',
  input: UsageQuerySchema,
  output: UsageReportSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'settings:read',
  handler: (input, ctx) => getUsage({ db: ctx.db, tenant: ctx.tenant, query: input }),
  summarize: (o) => `${o.month}: ${o.customers.length} customers with usage or quotas`,
});
