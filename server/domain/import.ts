import { z } from 'zod';
import { ConnectorSchema } from './connector.ts';

export const SelectionSchema = z
  .discriminatedUnion('mode', [
    z.object({ mode: z.literal('all') }).strict(),
    z
      .object({ mode: z.literal('tag'), tags: z.array(z.string().min(1).max(100)).min(1).max(50) })
      .strict(),
    z
      .object({
        mode: z.literal('list'),
        slugs: z.array(z.string().min(1).max(100)).min(1).max(2000),
      })
      .strict(),
    z.object({ mode: z.literal('top'), n: z.number().int().min(1).max(2000) }).strict(),
  ])
  .describe('all, by tag, listed slugs, or the N most useful');
export type Selection = z.infer<typeof SelectionSchema>;

export const ImportRequestSchema = z
  .object({
    url: z
      .string()
      .min(1)
      .max(4000)
      .optional()
      .describe('Where to fetch the spec (OpenAPI 3.x, Swagger 2.0 or a Postman v2.1 collection)'),
    text: z
      .string()
      .min(2)
      .max(50 * 1024 * 1024)
      .optional()
      .describe('The spec itself, JSON or YAML'),
    specId: z.uuid().optional().describe('A spec stored with POST /specs'),
    slug: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/)
      .optional()
      .describe('Connector slug; by default derived from the spec title'),
    selection: SelectionSchema.default({ mode: 'all' }),
    apply: z
      .boolean()
      .default(false)
      .describe(
        'When the connector exists: apply the changes (otherwise only the diff is returned)',
      ),
    removeMissing: z
      .boolean()
      .default(false)
      .describe('When applying: remove actions and events the new spec no longer has'),
    dryRun: z
      .boolean()
      .default(false)
      .describe('Return what would be created or changed, write nothing'),
  })
  .strict()
  .refine((r) => [r.url, r.text, r.specId].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of url, text or specId',
  });
export type ImportRequest = z.infer<typeof ImportRequestSchema>;

/** What an import did, or would do: the connector, the diff against the stored one, warnings. */
export const ImportOutcomeSchema = z.object({
  outcome: z.enum(['created', 'updated', 'unchanged', 'preview']),
  connector: ConnectorSchema.nullable(),
  slug: z.string(),
  diff: z.unknown(),
  summary: z.string(),
  warnings: z.array(z.object({ path: z.string(), reason: z.string() })),
  stats: z.object({
    operations: z.number(),
    actions: z.number(),
    events: z.number(),
    schemas: z.number(),
  }),
  entities: z.array(z.unknown()),
  ranking: z.array(z.unknown()),
});
