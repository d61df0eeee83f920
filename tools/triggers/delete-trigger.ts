import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteTrigger } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'delete_trigger',
  title: 'Delete trigger',
  description:
    'Deletes a trigger with its routes and events, unsubscribing an app-event trigger first.',
  input: z.object({ triggerId: z.uuid() }).strict(),
  output: z.object({ deleted: z.literal(true), id: z.string() }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  },
  write: true,
  external: true,
  permission: 'workflows:delete',
  handler: async (input, ctx) => {
    await deleteTrigger({ ...ctx.triggers, tenant: ctx.tenant, id: input.triggerId });
    return { deleted: true as const, id: input.triggerId };
  },
  summarize: (o) => `deleted trigger ${o.id}`,
});
