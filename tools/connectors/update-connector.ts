import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectorSchema, UpdateConnectorSchema } from '../../server/domain/connector.ts';
import { updateConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'update_connector',
  title: 'Update a connector',
  description:
    'Changes a connector’s name, description, base URL, server variables, auth methods or rate limit. Fields you leave out stay as they are.',
  input: z
    .object({
      connector: z.string().min(1).max(100).describe('Connector slug or id'),
      changes: UpdateConnectorSchema,
    })
    .strict(),
  output: ConnectorSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:write',
  handler: (input, ctx) =>
    updateConnector({ db: ctx.db, tenant: ctx.tenant, ref: input.connector, input: input.changes }),
  summarize: (o) => `updated connector ${o.slug}`,
});
