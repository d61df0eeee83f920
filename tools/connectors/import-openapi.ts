import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ImportOutcomeSchema, SelectionSchema } from '../../server/domain/import.ts';
import { importSpecIntoConnector } from '../../server/modules/connectors/import.service.ts';

export default defineTool({
  name: 'import_openapi',
  title: 'Import an API spec',
  description:
    'Builds a connector from an OpenAPI 3.x, Swagger 2.0 or Postman v2.1 document, given by URL or as text: base URL, auth methods, one action per operation, webhook events, entity guesses. Big APIs: pass selection {mode:"top",n:30} (most useful first) or {mode:"tag",tags:[...]}. If the connector already exists, the answer is a diff; call again with apply=true to apply it. Next: create_connection, then run_action to test.',
  input: z
    .object({
      url: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe('Where to fetch the spec'),
      text: z
        .string()
        .min(2)
        .max(50 * 1024 * 1024)
        .optional()
        .describe('The spec itself (JSON or YAML)'),
      slug: z
        .string()
        .regex(/^[a-z][a-z0-9_-]{0,62}$/)
        .optional()
        .describe('Connector slug; by default from the spec title'),
      selection: SelectionSchema.default({ mode: 'all' }),
      apply: z.boolean().default(false).describe('Apply the diff when the connector exists'),
      removeMissing: z
        .boolean()
        .default(false)
        .describe('When applying, remove what the new spec no longer has'),
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
  permission: 'connectors:write',
  handler: async (input, ctx) => {
    if ((input.url === undefined) === (input.text === undefined)) {
      const { AppError } = await import('../../server/errors.ts');
      throw new AppError('validation_failed', 'give exactly one of url or text');
    }
    const outcome = await importSpecIntoConnector({
      db: ctx.db,
      tenant: ctx.tenant,
      source:
        input.url !== undefined
          ? { kind: 'url', url: input.url }
          : { kind: 'text', text: input.text ?? '' },
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
