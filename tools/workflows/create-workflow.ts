import { defineTool } from '../define-tool.ts';
import { CreateWorkflowSchema, WorkflowSchema } from '../../server/domain/workflow.ts';
import { createWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'create_workflow',
  title: 'Create a workflow',
  description:
    "Creates a workflow from TypeScript or JavaScript source exporting `default async function (ctx)`; it is saved as the draft. ctx has input, headers, trigger, customer, env, log, secrets.get, state.get/set/delete, connectors.<connector>.<action>(input), cdm.toCanonical/fromCanonical, http.fetch, step(name, fn) and sleep(ms) (Long tier). Tiers: 'instant' (answers with the result, timeout up to 2 min), 'standard' (queued, up to 15 min), 'long' (queued, up to 6 h). Next: publish_workflow with deployTo, then run_workflow.",
  input: CreateWorkflowSchema,
  output: WorkflowSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'workflows:write',
  handler: (input, ctx) => createWorkflow({ db: ctx.db, tenant: ctx.tenant, input }),
  summarize: (o) => `created workflow ${o.slug} (${o.id}), draft saved; publish it to run it`,
});
