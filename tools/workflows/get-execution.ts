import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ExecutionDetailSchema } from '../../server/domain/workflow.ts';
import { getExecution } from '../../server/modules/workflows/executions.service.ts';

export default defineTool({
  name: 'get_execution',
  title: 'Get execution',
  description:
    'One workflow run: input, output or error, logs, spans, steps; secrets redacted. A single API call: get_trace.',
  input: z.object({ executionId: z.uuid() }).strict(),
  output: ExecutionDetailSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) => getExecution({ db: ctx.db, tenant: ctx.tenant, id: input.executionId }),
  summarize: (o) =>
    `execution ${o.id}: ${o.status} (attempt ${o.attempt}/${o.maxAttempts}${o.error ? `, ${o.error.message}` : ''})`,
});
