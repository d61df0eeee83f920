import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { MappingSchema, SaveMappingSchema } from '../../server/domain/cdm.ts';
import { saveMapping } from '../../server/modules/cdm/cdm.service.ts';

export default defineTool({
  name: 'save_mapping',
  title: 'Save a mapping',
  description:
    'Saves a new version of the mapping between a connector and a canonical entity in one direction (to_canonical or from_canonical): target field → JSONata expression over the source record, with helpers $toIso, $toMinor, $fromMinor, $mapEnum, $splitName, $joinName. Every expression and target field is checked first; a bad one names the field and nothing is saved. Try it with preview_mapping first.',
  input: SaveMappingSchema,
  // The published tool contract advertises the direction as plain text.
  output: MappingSchema.extend({ direction: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'connectors:write',
  handler: (input, ctx) =>
    saveMapping({ db: ctx.db, tenant: ctx.tenant, ...input, note: input.note ?? null }),
  summarize: (o) => `saved ${o.entity} ${o.direction} mapping v${o.version}`,
});
