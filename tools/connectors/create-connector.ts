import { defineTool } from '../define-tool.ts';
import { ConnectorSchema, CreateConnectorSchema } from '../../server/domain/connector.ts';
import { createConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'create_connector',
  title: 'Create a connector',
  description:
    'Creates an empty connector by hand: slug, name, base URL and auth methods. When the app has an OpenAPI document or Postman collection, use import_openapi instead. Next: upsert_action for each endpoint.',
  input: CreateConnectorSchema,
  output: ConnectorSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connectors:write',
  handler: (input, ctx) => createConnector({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created connector ${o.slug}`,
});
