import { defineTool } from '../define-tool.ts';
import { SuggestRequestSchema, SuggestionSchema } from '../../server/domain/cdm.ts';
import { suggestForAction } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'suggest_mapping',
  title: 'Suggest a mapping to a canonical entity',
  description:
    "Proposes, from an action's output schema (and optional sample records), which source field feeds each core field of a canonical entity, with a confidence and the evidence for each. Deterministic; nothing is saved. Check low-confidence fields, then save_mapping with JSONata expressions (a plain source path is a valid expression).",
  input: SuggestRequestSchema,
  output: SuggestionSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'connectors:read',
  handler: (input, ctx) =>
    suggestForAction({ db: ctx.db, tenant: ctx.tenant, ...input, entity: input.entity }),
  summarize: (o) =>
    `${o.fields.length} fields suggested for ${o.entity}${o.recordPath === null ? '' : `, for one record at ${o.recordPath}`}`,
});
