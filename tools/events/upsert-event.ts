import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { EventInputSchema, EventSchema } from '../../server/domain/connector.ts';
import { putEvent } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'upsert_event',
  title: 'Create or replace event',
  description:
    'Declares a connector event, or replaces the one with its name: payload schema, how to subscribe, how deliveries are signed.',
  input: z.object({ connector: z.string().min(1).max(100), event: EventInputSchema }).strict(),
  output: EventSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:update',
  handler: (input, ctx) =>
    putEvent({ db: ctx.db, tenant: ctx.tenant, ref: input.connector, input: input.event }),
  summarize: (o) => `saved event ${o.name}`,
});
