import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectorDocumentSchema } from '../../server/domain/connector.ts';
import { exportConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'export_connector',
  title: 'Export connector',
  description:
    'The whole connector (auth, actions, events) as one versioned JSON document, for git and import_connector_definition.',
  input: z.object({ connector: z.string().min(1).max(100) }).strict(),
  output: ConnectorDocumentSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    exportConnector({ db: ctx.db, tenant: ctx.tenant, ref: input.connector }),
  summarize: (o) => `${o.connector.slug}: ${o.actions.length} actions, ${o.events.length} events`,
});
