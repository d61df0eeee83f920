import { defineTool } from '../define-tool.ts';
import { PreviewRequestSchema, PreviewSchema } from '../../server/domain/cdm.ts';
import { previewMapping } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'preview_mapping',
  title: 'Preview a mapping on a record',
  description:
    'Runs mapping expressions (given, or the saved mapping of a connector) on one sample record and shows source, expression and result side by side, with per-field errors. Nothing is saved.',
  input: PreviewRequestSchema,
  output: PreviewSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    previewMapping({
      db: ctx.db,
      tenant: ctx.tenant,
      ...input,
      fields: input.fields,
      connector: input.connector,
      customerId: input.customerId ?? null,
    }),
  summarize: (o) =>
    `${o.data.length} fields, ${o.data.filter((r) => r.error !== undefined).length} with errors${o.warnings.map((w) => `; warning: ${w}`).join('')}`,
});
