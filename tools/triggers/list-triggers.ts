import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TriggerSchema } from '../../server/domain/trigger.ts';
import { ListWorkflowsQuerySchema } from '../../server/domain/workflow.ts';
import { listTriggers } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'list_triggers',
  title: 'List triggers',
  description: 'Lists webhook, scheduler and app-event triggers with their routes.',
  input: ListWorkflowsQuerySchema.partial({ limit: true }),
  output: z.object({ data: z.array(TriggerSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) =>
    listTriggers({
      ...ctx.triggers,
      tenant: ctx.tenant,
      query: { limit: input.limit ?? 50, cursor: input.cursor },
    }),
  summarize: (o) => `${o.data.length} triggers${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
