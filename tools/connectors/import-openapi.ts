import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ImportOutcomeSchema, SelectionSchema } from '../../server/domain/import.ts';
import {
  importSpecIntoConnector,
  specSourceOf,
} from '../../server/modules/connectors/import.service.ts';

export default defineTool({
  name: 'import_openapi',
  title: 'Import API spec',
  description:
    'Builds a connector from an OpenAPI 3, Swagger 2 or Postman 2.1 spec (url, text or specId): auth, actions, events; big APIs: selection. For an existing connector: a diff, applied with apply=true.',
  input: z
    .object({
      url: z.string().min(1).max(4000).optional(),
      text: z
        .string()
        .min(2)
        .max(50 * 1024 * 1024)
        .optional()
        .describe('JSON or YAML'),
      specId: z.uuid().optional().describe('From create_spec or upload_spec'),
      slug: z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,62}$/)
        .optional()
        .describe('Default: from the spec title'),
      selection: SelectionSchema.default({ mode: 'all' }),
      apply: z.boolean().default(false),
      removeMissing: z
        .boolean()
        .default(false)
        .describe('On apply, drop what the spec no longer has'),
    })
    .strict(),
  // Every field of the HTTP answer, in the order the tool contract was published with.
  output: ImportOutcomeSchema.pick({
    outcome: true,
    connector: true,
    slug: true,
    summary: true,
    diff: true,
    warnings: true,
    stats: true,
    entities: true,
    ranking: true,
  }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  write: true,
  permission: 'connectors:create',
  handler: async (input, ctx) => {
    const outcome = await importSpecIntoConnector({
      db: ctx.db,
      tenant: ctx.tenant,
      source: await specSourceOf({
        db: ctx.db,
        tenant: ctx.tenant,
        url: input.url,
        text: input.text,
        specId: input.specId,
      }),
      fetchText: ctx.runtime.fetchText,
      selection: input.selection,
      slug: input.slug,
      apply: input.apply,
      removeMissing: input.removeMissing,
      dryRun: ctx.dryRun,
    });
    return {
      ...outcome,
      warnings: outcome.warnings.slice(0, 200),
      ranking: outcome.ranking.slice(0, 50),
    };
  },
  summarize: (o) =>
    `${o.summary}${o.warnings.length > 0 ? ` (${o.warnings.length} warnings)` : ''}`,
});
