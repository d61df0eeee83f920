import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectorDocumentSchema, ConnectorSchema } from '../../server/domain/connector.ts';
import { importConnectorDocument } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'import_connector_definition',
  title: 'Import a connector definition',
  description:
    'Creates a connector from a document produced by export_connector (format version 1). With replace=true, overwrites the connector with the same slug, removing actions and events the document does not have. All or nothing.',
  input: z
    .object({ document: ConnectorDocumentSchema, replace: z.boolean().default(false) })
    .strict(),
  output: ConnectorSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  write: true,
  permission: 'connectors:write',
  handler: (input, ctx) =>
    importConnectorDocument({
      db: ctx.db,
      tenant: ctx.tenant,
      document: input.document,
      replace: input.replace,
    }),
  summarize: (o) =>
    `imported connector ${o.slug}: ${o.actionCount} actions, ${o.eventCount} events`,
});
