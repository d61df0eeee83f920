import { defineTool } from '../define-tool.ts';
import { CreateWorkflowSchema, WorkflowSchema } from '../../server/domain/workflow.ts';
import { createWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'create_workflow',
  title: 'Create workflow',
  description:
    "Creates a workflow's draft from TS/JS source exporting `default async function (ctx)` (ctx: weft://docs/workflow-ctx). Tiers: instant (≤2 min, answers the result), standard (queued, ≤15 min), long (≤6 h).",
  input: CreateWorkflowSchema,
  output: WorkflowSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'workflows:create',
  handler: (input, ctx) => createWorkflow({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created workflow ${o.slug} (${o.id}), draft saved; publish it to run it`,
});
