import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'delete_workflow',
  title: 'Delete workflow',
  description:
    'Deletes a workflow with its versions, deployments and executions; status inactive keeps them.',
  input: z.object({ workflow: z.string().min(1).max(100) }).strict(),
  output: z.object({ deleted: z.literal(true), workflow: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'workflows:delete',
  handler: async (input, ctx) => {
    await deleteWorkflow({ db: ctx.db, tenant: ctx.tenant, ref: input.workflow });
    return { deleted: true as const, workflow: input.workflow };
  },
  summarize: (o) => `deleted workflow ${o.workflow}`,
});
