import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TriggerSchema } from '../../server/domain/trigger.ts';
import { getTrigger } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'get_trigger',
  title: 'Get a trigger',
  description:
    'One trigger with its routes, its webhook URL, its schedule and next run, or its app-event subscription state.',
  input: z.object({ id: z.uuid() }).strict(),
  output: TriggerSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) => getTrigger({ deps: ctx.triggers, tenant: ctx.tenant, id: input.id }),
  summarize: (o) => `${o.type} trigger ${o.name}: ${o.status}, ${o.routes.length} routes`,
});
