import { defineTool } from '../define-tool.ts';
import { pageOf } from '../../server/domain/common.ts';
import { AuditEntrySchema, AuditQuerySchema } from '../../server/domain/audit.ts';
import { queryAudit } from '../../server/modules/audit/audit.service.ts';

export default defineTool({
  name: 'list_audit_entries',
  title: 'List audit log entries',
  description: 'Who changed what, filtered by actor, person, action, resource, customer or time.',
  input: AuditQuerySchema.partial({ limit: true }),
  output: pageOf(AuditEntrySchema),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'settings:read',
  handler: (input, ctx) =>
    queryAudit({ db: ctx.db, tenant: ctx.tenant, query: { ...input, limit: input.limit ?? 50 } }),
  summarize: (o) => `${o.data.length} entries${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
