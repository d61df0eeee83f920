import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ExecutionSchema, ListExecutionsQuerySchema } from '../../server/domain/workflow.ts';
import { listExecutions } from '../../server/modules/workflows/executions.service.ts';

export default defineTool({
  name: 'list_executions',
  title: 'List executions',
  description:
    'The execution log (workflow runs), filtered by status, workflow, tier, customer or time.',
  input: ListExecutionsQuerySchema.omit({ workflowId: true })
    .partial({ limit: true })
    .extend({ workflow: z.string().min(1).max(100).optional().describe('Workflow id or slug') })
    .strict(),
  output: z.object({ data: z.array(ExecutionSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: ({ workflow, ...rest }, ctx) =>
    listExecutions({
      db: ctx.db,
      tenant: ctx.tenant,
      query: {
        ...rest,
        ...(workflow !== undefined && { workflowId: workflow }),
        limit: rest.limit ?? 50,
      },
    }),
  summarize: (o) => `${o.data.length} executions${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
