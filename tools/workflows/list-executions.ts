import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ExecutionSchema, ListExecutionsQuerySchema } from '../../server/domain/workflow.ts';
import { listExecutions } from '../../server/modules/workflows/executions.service.ts';

export default defineTool({
  name: 'list_executions',
  title: 'List executions',
  description:
    'The execution log, newest first: filter by status (queued, running, completed, failed, timeout), workflowId, tier, customerId and a from/to time range. get_execution shows one with its logs, spans and steps.',
  input: ListExecutionsQuerySchema.partial({ limit: true }),
  output: z.object({ data: z.array(ExecutionSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'executions:read',
  handler: (input, ctx) =>
    listExecutions({
      db: ctx.db,
      tenant: ctx.tenant,
      query: { ...input, limit: input.limit ?? 50 },
    }),
  summarize: (o) => `${o.data.length} executions${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
