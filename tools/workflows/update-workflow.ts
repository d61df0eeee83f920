import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { UpdateWorkflowSchema, WorkflowSchema } from '../../server/domain/workflow.ts';
import { updateWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'update_workflow',
  title: 'Update workflow',
  description:
    "Changes a workflow's settings or replaces its draft source; publish_workflow makes the draft a version.",
  input: UpdateWorkflowSchema.extend({
    workflow: z.string().min(1).max(100),
  }).strict(),
  output: WorkflowSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'workflows:update',
  handler: ({ workflow, ...input }, ctx) =>
    updateWorkflow({ db: ctx.db, tenant: ctx.tenant, ref: workflow, input }),
  summarize: (o) => `updated workflow ${o.slug}`,
});
