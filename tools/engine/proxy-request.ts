import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CallResultSchema, ProxyRequestSchema } from '../../server/domain/connection.ts';
import { proxyRequest } from '../../server/modules/connections/actions.service.ts';

export default defineTool({
  name: 'proxy_request',
  title: 'Send a raw request through a connection',
  description:
    'Sends any request (method, path relative to the connector base URL, query, headers, body) with a connection’s auth, for endpoints no action covers yet. The path cannot leave the base URL.',
  input: z.object({ connectionId: z.uuid(), request: ProxyRequestSchema }).strict(),
  output: CallResultSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  },
  permission: 'connections:write',
  handler: (input, ctx) =>
    proxyRequest({
      runtime: ctx.runtime,
      tenant: ctx.tenant,
      connectionId: input.connectionId,
      request: input.request,
    }),
  summarize: (o) => `HTTP ${o.status} in ${Math.round(o.durationMs)} ms (trace ${o.traceId})`,
});
