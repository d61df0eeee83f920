import { defineTool } from '../define-tool.ts';
import { ConnectionSchema, CreateConnectionSchema } from '../../server/domain/connection.ts';
import { createConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'create_connection',
  title: 'Create connection',
  description:
    "Authorizes a connector for a customer (customerId; null: your org's test connection) with credentials for one auth method, stored encrypted. OAuth 2.0 code flow: start_oauth.",
  input: CreateConnectionSchema,
  output: ConnectionSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connections:create',
  handler: (input, ctx) =>
    createConnection({
      runtime: { ...ctx.runtime, db: ctx.db },
      tenant: ctx.tenant,
      input,
      obtainToken: !ctx.dryRun,
    }),
  summarize: (o) => `created ${o.connector} connection ${o.id} (${o.status})`,
});
