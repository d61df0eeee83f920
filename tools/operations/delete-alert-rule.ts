import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteAlertRule } from '../../server/modules/alerts/alerts.service.ts';

export default defineTool({
  name: 'delete_alert_rule',
  title: 'Delete alert rule',
  description: 'Deletes an alert rule with its incidents and notifications.',
  input: z.object({ ruleId: z.uuid() }).strict(),
  output: z.object({ deleted: z.literal(true), id: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'settings:write',
  handler: async (input, ctx) => {
    await deleteAlertRule({ db: ctx.db, tenant: ctx.tenant, id: input.ruleId });
    return { deleted: true as const, id: input.ruleId };
  },
  summarize: (o) => `deleted alert rule ${o.id}`,
});
