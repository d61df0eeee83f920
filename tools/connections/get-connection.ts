import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ConnectionSchema } from '../../server/domain/connection.ts';
import { getConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'get_connection',
  title: 'Get connection',
  description:
    'One connection: status and reason, auth method, stored credential fields (never values), token expiry.',
  input: z.object({ connectionId: z.uuid() }).strict(),
  output: ConnectionSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connections:read',
  handler: (input, ctx) =>
    getConnection({ runtime: ctx.runtime, tenant: ctx.tenant, id: input.connectionId }),
  summarize: (o) => `${o.connector} connection ${o.id}: ${o.status}`,
});
