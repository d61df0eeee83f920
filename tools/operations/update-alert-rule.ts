import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AlertRuleSchema, UpdateAlertRuleSchema } from '../../server/domain/alert.ts';
import { updateAlertRule } from '../../server/modules/alerts/alerts.service.ts';

export default defineTool({
  name: 'update_alert_rule',
  title: 'Change alert rule',
  description: 'Changes the given fields of an alert rule.',
  input: UpdateAlertRuleSchema.extend({ ruleId: z.uuid() }).strict(),
  output: AlertRuleSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'settings:write',
  handler: ({ ruleId, ...input }, ctx) =>
    updateAlertRule({
      db: ctx.db,
      keyring: ctx.runtime.keyring,
      tenant: ctx.tenant,
      id: ruleId,
      input,
    }),
  summarize: (o) => `updated alert rule ${o.name}`,
});
