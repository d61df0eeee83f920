import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { PreviewRequestSchema } from '../../server/modules/cdm/cdm.routes.ts';
import { previewMapping } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'preview_mapping',
  title: 'Preview a mapping on a record',
  description:
    'Runs mapping expressions (given, or the saved mapping of a connector) on one sample record and shows source, expression and result side by side, with per-field errors. Nothing is saved.',
  input: PreviewRequestSchema,
  output: z.object({
    data: z.array(
      z.object({
        field: z.string(),
        expression: z.string(),
        source: z.unknown().optional(),
        result: z.unknown(),
        error: z.string().optional(),
      }),
    ),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: async (input, ctx) => ({
    data: await previewMapping({
      db: ctx.db,
      tenant: ctx.tenant,
      ...input,
      fields: input.fields,
      connector: input.connector,
      customerId: input.customerId ?? null,
    }),
  }),
  summarize: (o) =>
    `${o.data.length} fields, ${o.data.filter((r) => r.error !== undefined).length} with errors`,
});
