import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { UpdateWorkflowSchema, WorkflowSchema } from '../../server/domain/workflow.ts';
import { updateWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'update_workflow',
  title: 'Update a workflow',
  description:
    'Changes settings (tier, timeoutMs, retry, status, name, description) or replaces the draft `source`. Published versions never change: publish_workflow makes the draft the next version.',
  input: UpdateWorkflowSchema.extend({
    workflow: z.string().min(1).max(100).describe('Id or slug'),
  }).strict(),
  output: WorkflowSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'workflows:write',
  handler: ({ workflow, ...input }, ctx) =>
    updateWorkflow({ db: ctx.db, tenant: ctx.tenant, ref: workflow, input }),
  summarize: (o) => `updated workflow ${o.slug}`,
});
