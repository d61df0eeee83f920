import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TriggerSchema, UpdateTriggerSchema } from '../../server/domain/trigger.ts';
import { updateTrigger } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'update_trigger',
  title: 'Update a trigger',
  description:
    'Changes a trigger: name, description, status (inactive stops it), webhook or scheduler settings, or its routes (the given list replaces every route). Filters are checked on save.',
  input: UpdateTriggerSchema.extend({ id: z.uuid() }).strict(),
  output: TriggerSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'workflows:write',
  handler: ({ id, ...input }, ctx) =>
    updateTrigger({ deps: ctx.triggers, tenant: ctx.tenant, id, input }),
  summarize: (o) => `updated trigger ${o.name}`,
});
