import { ErrorBodySchema, pageOf } from '../../domain/common.ts';
import { AuditEntrySchema, AuditQuerySchema, AuditRetentionSchema } from '../../domain/audit.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { getAuditRetention, queryAudit, setAuditRetention } from './audit.service.ts';

const errors = {
  400: ErrorBodySchema,
  401: ErrorBodySchema,
  403: ErrorBodySchema,
  422: ErrorBodySchema,
  429: ErrorBodySchema,
};
const tags = ['Audit log'];

export function auditRoutes(app: App, { db }: AppDeps): void {
  app.get('/audit-log', {
    config: { permission: 'settings:read' },
    schema: {
      tags,
      summary: 'Writes, newest first, by actor, action, resource and time',
      querystring: AuditQuerySchema,
      response: { 200: pageOf(AuditEntrySchema), ...errors },
    },
    handler: (request) => queryAudit({ db, tenant: tenantOf(request), query: request.query }),
  });

  app.get('/audit-log/retention', {
    config: { permission: 'settings:read' },
    schema: {
      tags,
      summary: 'How long audit entries are kept',
      response: { 200: AuditRetentionSchema, ...errors },
    },
    handler: (request) => getAuditRetention({ db, tenant: tenantOf(request) }),
  });

  app.put('/audit-log/retention', {
    config: { permission: 'settings:write' },
    schema: {
      tags,
      summary: 'Set how long audit entries are kept (30 to 3650 days)',
      body: AuditRetentionSchema.strict(),
      response: { 200: AuditRetentionSchema, ...errors },
    },
    handler: (request) =>
      setAuditRetention({ db, tenant: tenantOf(request), days: request.body.days }),
  });
}
