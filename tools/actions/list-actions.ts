import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { listActions } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'list_actions',
  title: 'List connector actions',
  description:
    "Lists a connector's actions (slug, method, path, summary); get_action shows one in full.",
  input: z
    .object({
      connector: z.string().min(1).max(100),
      tag: z.string().max(100).optional(),
    })
    .strict(),
  output: z.object({
    data: z.array(
      z.object({
        slug: z.string(),
        name: z.string(),
        method: z.string(),
        path: z.string(),
        description: z.string().optional(),
        tags: z.array(z.string()),
        deprecated: z.boolean(),
        cdmEntity: z.string().optional(),
      }),
    ),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (input, ctx) => {
    const actions = await listActions({ db: ctx.db, tenant: ctx.tenant, ref: input.connector });
    return {
      data: actions
        .filter((a) => input.tag === undefined || a.tags.includes(input.tag))
        .map((a) => ({
          slug: a.slug,
          name: a.name,
          method: a.method,
          path: a.path,
          ...(a.description !== undefined && { description: a.description.slice(0, 300) }),
          tags: a.tags,
          deprecated: a.deprecated,
          ...(a.cdmEntity !== undefined && { cdmEntity: a.cdmEntity }),
        })),
    };
  },
  summarize: (o) => `${o.data.length} actions`,
});
