import { defineTool } from '../define-tool.ts';
import { SuggestRequestSchema, SuggestionSchema } from '../../server/domain/cdm.ts';
import { suggestForAction } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'suggest_mapping',
  title: 'Suggest mapping',
  description:
    "Proposes how an action's output (or sample records) maps to a canonical entity, with evidence and ready expressions; saves nothing. Then preview_mapping and save_mapping.",
  input: SuggestRequestSchema,
  output: SuggestionSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    suggestForAction({ db: ctx.db, tenant: ctx.tenant, ...input, entity: input.entity }),
  summarize: (o) =>
    o.fields.length === 0
      ? `no field suggested for ${o.entity}: ${o.reason ?? 'nothing matched'}; ${o.nextStep ?? 'write the fields by hand'}`
      : `${o.fields.length} fields suggested for ${o.entity}${o.recordPath === null ? '' : `, for one record at ${o.recordPath}`}; pass mapping to preview_mapping`,
});
