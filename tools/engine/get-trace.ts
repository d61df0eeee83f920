import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TraceSpanSchema } from '../../server/domain/connection.ts';
import { getTrace } from '../../server/modules/connections/actions.service.ts';

export default defineTool({
  name: 'get_trace',
  title: 'Read call trace',
  description:
    'The spans of one API call (traceId from run_action, proxy_request, test_connection): requests, masked headers, status, timing. Workflow runs: get_execution.',
  input: z.object({ traceId: z.string().min(1).max(100) }).strict(),
  output: z.object({
    data: z.array(
      TraceSpanSchema.omit({
        traceId: true,
        connectionId: true,
        connectorId: true,
        customerId: true,
      }),
    ),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connections:read',
  handler: async (input, ctx) => ({
    data: (
      await getTrace({ runtime: ctx.runtime, tenant: ctx.tenant, traceId: input.traceId })
    ).map((s) => ({
      kind: s.kind,
      name: s.name,
      method: s.method,
      url: s.url,
      ...(s.requestHeaders !== undefined && { requestHeaders: s.requestHeaders }),
      status: s.status,
      durationMs: s.durationMs,
      attempts: s.attempts,
      error: s.error,
      startedAt: s.startedAt.toISOString(),
    })),
  }),
  summarize: (o) => `${o.data.length} spans`,
});
