import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EventSchema } from '../../server/domain/connector.ts';
import { listEvents } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'list_events',
  title: 'List connector events',
  description:
    'Lists the event types a connector declares, like order.created. Received events: list_trigger_events.',
  input: z.object({ connector: z.string().min(1).max(100) }).strict(),
  output: z.object({ data: z.array(EventSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (input, ctx) => ({
    data: await listEvents({ db: ctx.db, tenant: ctx.tenant, ref: input.connector }),
  }),
  summarize: (o) => `${o.data.length} events`,
});
