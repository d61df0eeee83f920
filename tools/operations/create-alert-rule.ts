import { defineTool } from '../define-tool.ts';
import { AlertRuleSchema, CreateAlertRuleSchema } from '../../server/domain/alert.ts';
import { createAlertRule } from '../../server/modules/alerts/alerts.service.ts';

export default defineTool({
  name: 'create_alert_rule',
  title: 'Create alert rule',
  description:
    "Opens an incident when a condition over the window's finished executions (org, workflow or customer) goes above the threshold; resolves after a window below.",
  input: CreateAlertRuleSchema,
  output: AlertRuleSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'settings:write',
  handler: (input, ctx) =>
    createAlertRule({ db: ctx.db, keyring: ctx.runtime.keyring, tenant: ctx.tenant, input }),
  summarize: (o) => `created alert rule ${o.name}: ${o.condition} > ${o.threshold}`,
});
