import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CreateWidgetSchema, WidgetSchema } from '../../server/domain/embed.ts';
import { configureWidget, embedSnippet } from '../../server/modules/embed/widgets.service.ts';
import { publicBase } from './base-url.ts';

export default defineTool({
  name: 'set_widget',
  title: 'Configure connect widget',
  description:
    'Creates or replaces (by slug) a connect widget, where your customers connect their accounts: per connector, the published, deployed workflows a connection starts. Answers its HTML snippet.',
  input: CreateWidgetSchema,
  output: z.object({
    widget: WidgetSchema,
    created: z.boolean(),
    snippet: z
      .string()
      .describe(
        "HTML for your page; it fetches a token from your backend's /weft-token (which calls POST /api/v1/embed/tokens)",
      ),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'connectors:share',
  handler: async (input, ctx) => ({
    ...(await configureWidget({ db: ctx.db, tenant: ctx.tenant, input })),
    snippet: embedSnippet({ baseUrl: publicBase(ctx) }),
  }),
  summarize: (o) =>
    `${o.created ? 'created' : 'updated'} widget ${o.widget.slug} (${o.widget.connectors.map((c) => c.connector).join(', ')})`,
});
