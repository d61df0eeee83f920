import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TriggerEventSchema } from '../../server/domain/trigger.ts';
import { replayEvent } from '../../server/modules/triggers/events.service.ts';

export default defineTool({
  name: 'replay_trigger_event',
  title: 'Replay event',
  description:
    'Routes a received event again, like a dead letter after a fix, starting new executions.',
  input: z.object({ triggerEventId: z.uuid() }).strict(),
  output: TriggerEventSchema,
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
    replayEvent({
      db: ctx.db,
      router: await ctx.events(),
      tenant: ctx.tenant,
      id: input.triggerEventId,
    }),
  summarize: (o) => `event ${o.id}: ${o.verdict}${o.error ? ` (${o.error})` : ''}`,
});
