import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CallResultSchema, ProxyRequestSchema } from '../../server/domain/connection.ts';
import { proxyRequest } from '../../server/modules/connections/actions.service.ts';

export default defineTool({
  name: 'proxy_request',
  title: 'Send raw request',
  description:
    "Sends a raw request (a path under the base URL) with a connection's auth, for endpoints no action covers; no validation or pagination.",
  input: z.object({ connectionId: z.uuid(), request: ProxyRequestSchema }).strict(),
  output: CallResultSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  },
  permission: 'connections:execute',
  handler: (input, ctx) =>
    proxyRequest({
      runtime: ctx.runtime,
      tenant: ctx.tenant,
      connectionId: input.connectionId,
      request: input.request,
    }),
  summarize: (o) => `HTTP ${o.status} in ${Math.round(o.durationMs)} ms (trace ${o.traceId})`,
});
