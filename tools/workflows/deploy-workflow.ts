import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { DeploySchema, WorkflowSchema } from '../../server/domain/workflow.ts';
import { deployWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'deploy_workflow',
  title: 'Deploy workflow version',
  description: 'Points an environment at a published version; an older one is a rollback.',
  input: DeploySchema.extend({
    workflow: z.string().min(1).max(100),
  }).strict(),
  output: WorkflowSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'workflows:deploy_test',
  handler: (input, ctx) =>
    deployWorkflow({
      db: ctx.db,
      tenant: ctx.tenant,
      ref: input.workflow,
      environment: input.environment,
      version: input.version,
    }),
  summarize: (o) =>
    `${o.slug} deployed: ${Object.entries(o.deployments)
      .map(([env, d]) => `${env} v${d.version}`)
      .join(', ')}`,
});
