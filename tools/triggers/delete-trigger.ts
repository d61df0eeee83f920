import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteTrigger } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'delete_trigger',
  title: 'Delete a trigger',
  description:
    'Deletes a trigger, its routes and its events; an app-event trigger unsubscribes from the provider first.',
  input: z.object({ id: z.uuid() }).strict(),
  output: z.object({ deleted: z.literal(true), id: z.string() }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: false,
    openWorldHint: true,
  },
  write: true,
  external: true,
  permission: 'workflows:write',
  handler: async (input, ctx) => {
    await deleteTrigger({ deps: ctx.triggers, tenant: ctx.tenant, id: input.id });
    return { deleted: true as const, id: input.id };
  },
  summarize: (o) => `deleted trigger ${o.id}`,
});
