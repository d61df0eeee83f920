import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ListEventsQuerySchema, TriggerEventSchema } from '../../server/domain/trigger.ts';
import { listEvents } from '../../server/modules/triggers/events.service.ts';

export default defineTool({
  name: 'list_trigger_events',
  title: 'List received events',
  description:
    "Events received by triggers: verdict, routes, executions; deadLetter=true for dead letters. A connector's event types: list_events.",
  input: ListEventsQuerySchema.partial({ limit: true }),
  output: z.object({ data: z.array(TriggerEventSchema), nextCursor: z.string().nullable() }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) =>
    listEvents({ db: ctx.db, tenant: ctx.tenant, query: { ...input, limit: input.limit ?? 50 } }),
  summarize: (o) => `${o.data.length} events${o.nextCursor ? ' (more: pass nextCursor)' : ''}`,
});
