import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AlertIncidentSchema, ListIncidentsQuerySchema } from '../../server/domain/alert.ts';
import { listAlertIncidents } from '../../server/modules/alerts/alerts.service.ts';

export default defineTool({
  name: 'list_alert_incidents',
  title: 'List alert incidents',
  description: 'Alert incidents: when a rule went above its threshold, its peak, when it resolved.',
  input: ListIncidentsQuerySchema.partial({ limit: true }),
  output: z.object({ data: z.array(AlertIncidentSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: async (input, ctx) => ({
    data: await listAlertIncidents({
      db: ctx.db,
      tenant: ctx.tenant,
      query: { ...input, limit: input.limit ?? 50 },
    }),
  }),
  summarize: (o) =>
    `${o.data.length} incidents, ${o.data.filter((i) => i.status === 'open').length} open`,
});
