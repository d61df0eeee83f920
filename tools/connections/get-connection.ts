import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectionSchema } from '../../server/domain/connection.ts';
import { getConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'get_connection',
  title: 'Get a connection',
  description:
    'Gets one connection: status and reason, auth method, which credential fields are stored (never their values), token expiry, reconnect link when expired.',
  input: z.object({ id: z.uuid() }).strict(),
  output: ConnectionSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connections:read',
  handler: (input, ctx) =>
    getConnection({ runtime: ctx.runtime, tenant: ctx.tenant, id: input.id }),
  summarize: (o) => `${o.connector} connection ${o.id}: ${o.status}`,
});
