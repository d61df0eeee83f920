import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectorDocumentSchema, ConnectorSchema } from '../../server/domain/connector.ts';
import { importConnectorDocument } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'import_connector_definition',
  title: 'Import connector definition',
  description:
    "Creates a connector from a Weft connector document (export_connector's); replace=true overwrites the one with its slug. API specs: import_openapi.",
  input: z
    .object({ document: ConnectorDocumentSchema, replace: z.boolean().default(false) })
    .strict(),
  output: ConnectorSchema,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  write: true,
  permission: 'connectors:create',
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
