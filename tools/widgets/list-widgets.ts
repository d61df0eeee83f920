import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { WidgetSchema } from '../../server/domain/embed.ts';
import { listWidgets } from '../../server/modules/embed/widgets.service.ts';

export default defineTool({
  name: 'list_widgets',
  title: 'List connect widgets',
  description: 'Lists connect widgets: connectors, workflows, branding, origins.',
  input: z.object({}).strict(),
  output: z.object({ data: z.array(WidgetSchema) }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (_input, ctx) => ({ data: await listWidgets({ db: ctx.db, tenant: ctx.tenant }) }),
  summarize: (o) => `${o.data.length} widget(s)`,
});
