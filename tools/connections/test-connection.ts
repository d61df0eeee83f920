import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { testConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'test_connection',
  title: 'Test a connection',
  description:
    'Checks that a connection works: renews its token if needed, then calls a harmless GET action. Says what failed and how to fix it.',
  input: z.object({ id: z.uuid() }).strict(),
  output: z.object({
    ok: z.boolean(),
    status: z.number().nullable(),
    message: z.string(),
    durationMs: z.number(),
    traceId: z.string().nullable(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  permission: 'connections:read',
  handler: (input, ctx) =>
    testConnection({ runtime: ctx.runtime, tenant: ctx.tenant, connectionId: input.id }),
  summarize: (o) => (o.ok ? `works: ${o.message}` : `fails: ${o.message}`),
});
