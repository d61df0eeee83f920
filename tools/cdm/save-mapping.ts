import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { MappingSchema, SaveMappingSchema } from '../../server/domain/cdm.ts';
import { saveMapping } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'save_mapping',
  title: 'Save mapping',
  description:
    "Saves a new version of a connector's mapping to or from a canonical entity: target field → JSONata (helpers: weft://docs/mapping-helpers). Nothing is saved on an error.",
  input: SaveMappingSchema,
  // The published tool contract advertises the direction as plain text.
  output: MappingSchema.extend({ direction: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connectors:update',
  handler: (input, ctx) =>
    saveMapping({ db: ctx.db, tenant: ctx.tenant, ...input, note: input.note ?? null }),
  summarize: (o) => `saved ${o.entity} ${o.direction} mapping v${o.version}`,
});
