import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteEvent } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'delete_event',
  title: 'Delete event',
  description: 'Deletes one event declaration from a connector.',
  input: z
    .object({
      connector: z.string().min(1).max(100),
      event: z.string().min(1).max(200).describe('Event name or id'),
    })
    .strict(),
  output: z.object({ deleted: z.literal(true), event: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'connectors:update',
  handler: async (input, ctx) => {
    await deleteEvent({ db: ctx.db, tenant: ctx.tenant, ref: input.connector, event: input.event });
    return { deleted: true as const, event: input.event };
  },
  summarize: (o) => `deleted event ${o.event}`,
});
