import { defineTool } from '../define-tool.ts';
import { ConnectionSchema, CreateConnectionSchema } from '../../server/domain/connection.ts';
import { createConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'create_connection',
  title: 'Create a connection',
  description:
    'Authorizes a connector for a customer (customerId) or for your org (customerId null) with credentials for one of its auth methods: apiKey for api_key, username/password for basic, token for bearer, the declared fields for custom. Credentials are stored encrypted and never returned. For OAuth 2.0 authorization code use start_oauth instead. Next: test_connection or run_action.',
  input: CreateConnectionSchema,
  output: ConnectionSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connections:write',
  handler: (input, ctx) =>
    createConnection({
      runtime: { ...ctx.runtime, db: ctx.db },
      tenant: ctx.tenant,
      input,
      obtainToken: !ctx.dryRun,
    }),
  summarize: (o) => `created ${o.connector} connection ${o.id} (${o.status})`,
});
