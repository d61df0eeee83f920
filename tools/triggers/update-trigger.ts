import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TriggerSchema, UpdateTriggerSchema } from '../../server/domain/trigger.ts';
import { updateTrigger } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'update_trigger',
  title: 'Update trigger',
  description:
    'Changes a trigger; routes, when given, replace every route. Status inactive stops it.',
  input: UpdateTriggerSchema.extend({ triggerId: z.uuid() }).strict(),
  output: TriggerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'workflows:update',
  handler: ({ triggerId, ...input }, ctx) =>
    updateTrigger({ ...ctx.triggers, tenant: ctx.tenant, id: triggerId, input }),
  summarize: (o) => `updated trigger ${o.name}`,
});
