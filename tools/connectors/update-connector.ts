import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AppError } from '../../server/errors.ts';
import { ConnectorSchema, UpdateConnectorSchema } from '../../server/domain/connector.ts';
import { updateConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'update_connector',
  title: 'Update connector',
  description:
    "Changes a connector's settings; authMethods, when given, replaces the list. Actions: upsert_action.",
  // Flat, like every update_* tool: the reference plus the fields to change.
  input: UpdateConnectorSchema.extend({
    connector: z.string().min(1).max(100),
  }).strict(),
  output: ConnectorSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:update',
  handler: ({ connector, ...changes }, ctx) => {
    // The domain schema's "at least one field" rule counts `connector` here: checked again.
    if (Object.keys(changes).length === 0) {
      throw new AppError(
        'validation_failed',
        'give at least one field to change (name, baseUrl, authMethods, rateLimit, …)',
      );
    }
    return updateConnector({ db: ctx.db, tenant: ctx.tenant, ref: connector, input: changes });
  },
  summarize: (o) => `updated connector ${o.slug}`,
});
