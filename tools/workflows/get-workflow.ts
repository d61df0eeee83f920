import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { WorkflowSchema } from '../../server/domain/workflow.ts';
import { getWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'get_workflow',
  title: 'Get workflow',
  description: 'One workflow with its draft source, settings and deployments.',
  input: z.object({ workflow: z.string().min(1).max(100) }).strict(),
  output: WorkflowSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) => getWorkflow({ db: ctx.db, tenant: ctx.tenant, ref: input.workflow }),
  summarize: (o) => `${o.slug}: ${o.tier}, ${o.status}, latest v${o.latestVersion}`,
});
