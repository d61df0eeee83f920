// A spec stored once and imported by id (import_openapi { specId }): the same text is not
// written into every import call, and re-importing after a fix costs one id, not the spec.
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CreateSpecSchema, SpecSchema } from '../../server/domain/spec.ts';
import { createSpec } from '../../server/modules/specs/specs.service.ts';

export default defineTool({
  name: 'create_spec',
  title: 'Store spec',
  description: "Stores a spec's text once and returns a specId for import_openapi.",
  input: CreateSpecSchema,
  output: SpecSchema.extend({ created: z.boolean() }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  write: true,
  permission: 'connectors:create',
  handler: async (input, ctx) => {
    const { spec, created } = await createSpec({
      db: ctx.db,
      tenant: ctx.tenant,
      text: input.text,
      name: input.name,
    });
    return { ...spec, created };
  },
  summarize: (o) => `spec ${o.specId} (${o.sizeBytes} bytes)${o.created ? '' : ', already stored'}`,
});
