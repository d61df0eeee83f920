import { defineTool } from '../define-tool.ts';
import { AuditRetentionSchema } from '../../server/domain/audit.ts';
import { setAuditRetention } from '../../server/modules/audit/audit.service.ts';

export default defineTool({
  name: 'set_audit_retention',
  title: 'Set audit retention',
  description: 'Sets how many days audit entries are kept (365 unless set).',
  input: AuditRetentionSchema.strict(),
  output: AuditRetentionSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  write: true,
  permission: 'settings:write',
  handler: (input, ctx) => setAuditRetention({ db: ctx.db, tenant: ctx.tenant, days: input.days }),
  summarize: (o) => `audit entries kept ${o.days} days`,
});
