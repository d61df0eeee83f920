import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { testConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'test_connection',
  title: 'Test connection',
  description:
    'Checks a connection: renews its token if needed and calls a harmless GET; says what failed and how to fix it.',
  input: z.object({ connectionId: z.uuid() }).strict(),
  output: z.object({
    ok: z.boolean(),
    status: z.number().nullable(),
    message: z.string(),
    durationMs: z.number(),
    traceId: z.string().nullable(),
    placement: z.string().optional().describe('Where the credential was sent, on a 401/403'),
    bodyExcerpt: z.string().optional(),
    nextSteps: z.array(z.string()).optional(),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  permission: 'connections:read',
  handler: (input, ctx) =>
    testConnection({ runtime: ctx.runtime, tenant: ctx.tenant, connectionId: input.connectionId }),
  summarize: (o) => (o.ok ? `works: ${o.message}` : `fails: ${o.message}`),
});
