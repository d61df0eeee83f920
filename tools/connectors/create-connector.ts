import { defineTool } from '../define-tool.ts';
import { ConnectorSchema, CreateConnectorSchema } from '../../server/domain/connector.ts';
import { createConnector } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'create_connector',
  title: 'Create connector',
  description:
    'Creates an empty connector by hand (slug, base URL, auth methods), then upsert_action; with an API spec, import_openapi instead.',
  input: CreateConnectorSchema,
  output: ConnectorSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connectors:create',
  handler: (input, ctx) => createConnector({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created connector ${o.slug}`,
});
