import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { TriggerSchema } from '../../server/domain/trigger.ts';
import { getTrigger } from '../../server/modules/triggers/triggers.service.ts';

export default defineTool({
  name: 'get_trigger',
  title: 'Get trigger',
  description: 'One trigger: routes, and its webhook URL, schedule or subscription state.',
  input: z.object({ triggerId: z.uuid() }).strict(),
  output: TriggerSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'workflows:read',
  handler: (input, ctx) => getTrigger({ ...ctx.triggers, tenant: ctx.tenant, id: input.triggerId }),
  summarize: (o) => `${o.type} trigger ${o.name}: ${o.status}, ${o.routes.length} routes`,
});
