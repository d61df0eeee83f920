import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import {
  PublishSchema,
  WorkflowSchema,
  WorkflowVersionSchema,
} from '../../server/domain/workflow.ts';
import { publishWorkflow } from '../../server/modules/workflows/workflows.service.ts';

export default defineTool({
  name: 'publish_workflow',
  title: 'Publish workflow',
  description:
    'Compiles the draft into the next immutable version, deployed at once with deployTo; compile errors come with line and column.',
  input: PublishSchema.extend({
    workflow: z.string().min(1).max(100),
  }).strict(),
  output: z.object({ version: WorkflowVersionSchema, workflow: WorkflowSchema }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'workflows:update',
  handler: (input, ctx) =>
    publishWorkflow({
      db: ctx.db,
      tenant: ctx.tenant,
      ref: input.workflow,
      note: input.note,
      deployTo: input.deployTo,
    }),
  summarize: (o) =>
    `published ${o.workflow.slug} v${o.version.version}; deployed: ${
      Object.entries(o.workflow.deployments)
        .map(([env, d]) => `${env} v${d.version}`)
        .join(', ') || 'nowhere yet'
    }`,
});
