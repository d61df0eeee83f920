import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ListWorkflowsQuerySchema, WorkflowSchema } from '../../server/domain/workflow.ts';
import { listWorkflows } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'list_workflows',
  title: 'List workflows',
  description: 'Lists workflows with tier, status, latest version and what each environment runs.',
  input: ListWorkflowsQuerySchema.partial({ limit: true }),
  output: z.object({ data: z.array(WorkflowSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) =>
    listWorkflows({
      db: ctx.db,
      tenant: ctx.tenant,
      query: { limit: input.limit ?? 50, cursor: input.cursor },
    }),
  summarize: (o) => `${o.data.length} workflows${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
