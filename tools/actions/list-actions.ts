import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { listActions } from '../../server/modules/connectors/connectors.service.ts';

export default defineTool({
  name: 'list_actions',
  title: 'List a connector’s actions',
  description:
    'Lists the actions of a connector (slug, method, path, summary). Use get_action for the full input schema of one, and run_action to call it with a connection.',
  input: z
    .object({
      connector: z.string().min(1).max(100).describe('Connector slug or id'),
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
