import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ExecutionDetailSchema } from '../../server/domain/workflow.ts';
import { getExecution } from '../../server/modules/workflows/executions.service.ts';

export default defineTool({
  name: 'get_execution',
  title: 'Get an execution',
  description:
    'One execution with its input, output or error, logs, spans (each connector call, fetch, step and mapping) and recorded steps. Secret values are redacted.',
  input: z.object({ id: z.uuid() }).strict(),
  output: ExecutionDetailSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'executions:read',
  handler: (input, ctx) => getExecution({ db: ctx.db, tenant: ctx.tenant, id: input.id }),
  summarize: (o) =>
    `execution ${o.id}: ${o.status} (attempt ${o.attempt}/${o.maxAttempts}${o.error ? `, ${o.error.message}` : ''})`,
});
