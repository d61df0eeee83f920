import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AlertRuleSchema } from '../../server/domain/alert.ts';
import { listAlertRules } from '../../server/modules/alerts/alerts.service.ts';

export default defineTool({
  name: 'list_alert_rules',
  title: 'List alert rules',
  description: 'Lists alert rules with their last value and open incident.',
  input: z.object({}).strict(),
  output: z.object({ data: z.array(AlertRuleSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: async (_input, ctx) => ({
    data: await listAlertRules({ db: ctx.db, tenant: ctx.tenant }),
  }),
  summarize: (o) =>
    `${o.data.length} rules, ${o.data.filter((r) => r.openIncidentId !== null).length} firing`,
});
