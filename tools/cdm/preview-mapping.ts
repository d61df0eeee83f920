import { defineTool } from '../define-tool.ts';
import { LivePreviewSchema, PreviewRequestSchema } from '../../server/domain/cdm.ts';
import { previewRequest } from '../../server/modules/cdm/mapping-live.ts';

export default defineTool({
  name: 'preview_mapping',
  title: 'Preview mapping',
  description:
    "Runs mapping expressions (given, or the saved ones) on a record, or on live records via connectionId + action: each field's result or error. Saves nothing.",
  input: PreviewRequestSchema,
  output: LivePreviewSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    previewRequest({ runtime: ctx.runtime, tenant: ctx.tenant, body: input }),
  summarize: (o) =>
    `${o.samples === undefined ? '' : `${o.samples.length} live records, ${o.samples.filter((s) => s.errors.length > 0).length} with errors; first: `}${o.data.length} fields, ${o.data.filter((r) => r.error !== undefined).length} with errors${o.warnings.map((w) => `; warning: ${w}`).join('')}`,
});
