import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { RunResultSchema, RunWorkflowSchema } from '../../server/domain/workflow.ts';
import { runWorkflow } from '../../server/modules/workflows/executions.service.ts';

export default defineTool({
  name: 'run_workflow',
  title: 'Run workflow',
  description:
    'Runs the version deployed to an environment, or a given one. Instant workflows answer the output, others an execution id for get_execution.',
  input: RunWorkflowSchema.extend({
    workflow: z.string().min(1).max(100),
  }).strict(),
  output: RunResultSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  write: true,
  external: true,
  permission: 'workflows:execute',
  handler: async (input, ctx) =>
    runWorkflow({
      runner: await ctx.workflows(),
      run: {
        tenant: ctx.tenant,
        ref: input.workflow,
        environment: input.environment,
        version: input.version,
        customerId: input.customerId,
        input: input.input ?? null,
        headers: {},
        triggeredBy: 'agent-service',
        trigger: { tool: 'run_workflow' },
      },
    }),
  failed: (o) => o.status === 'failed' || o.status === 'timeout',
  summarize: (o) =>
    o.status === 'queued'
      ? `queued execution ${o.executionId}`
      : `execution ${o.executionId} ${o.status}${o.error ? `: ${o.error.message}` : ''}`,
});
