import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectorSchema } from '../../server/domain/connector.ts';
import { getConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'get_connector',
  title: 'Get connector',
  description: 'One connector: base URL, auth methods, rate limit, counts.',
  input: z.object({ connector: z.string().min(1).max(100) }).strict(),
  output: ConnectorSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) => getConnector({ db: ctx.db, tenant: ctx.tenant, ref: input.connector }),
  summarize: (o) => `${o.slug}: ${o.actionCount} actions, ${o.eventCount} events`,
});
