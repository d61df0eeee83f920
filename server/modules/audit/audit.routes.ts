import { z } from 'zod';
import { ErrorBodySchema, LimitSchema } from '../../domain/common.ts';
import { tenantOf, type App, type AppDeps } from '../../http/types.ts';
import { listAudit } from './audit.service.ts';

const AuditEntrySchema = z.object({
  id: z.string(),
  customerId: z.string().nullable(),
  actorType: z.string(),
  actorId: z.string().nullable(),
  actorLabel: z.string().nullable(),
  action: z.string(),
  resourceType: z.string(),
  resourceId: z.string().nullable(),
  requestId: z.string().nullable(),
  mode: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

export function auditRoutes(app: App, { db }: AppDeps): void {
  app.get('/audit-log', {
    config: { permission: 'audit:read' },
    schema: {
      tags: ['Audit log'],
      summary: 'Recent writes, newest first',
      querystring: z.object({ limit: LimitSchema }).strict(),
      response: {
        200: z.object({ data: z.array(AuditEntrySchema) }),
        401: ErrorBodySchema,
        403: ErrorBodySchema,
      },
    },
    handler: async (request) => ({
      data: await listAudit({ db, tenant: tenantOf(request), limit: request.query.limit }),
    }),
  });
}
