import { z } from 'zod';
import { IdSchema } from './common.ts';
import { PERMISSIONS } from './tenant.ts';

const NarrowingSchema = z
  .array(z.enum(PERMISSIONS))
  .max(PERMISSIONS.length)
  .describe("The key acts with its person's role limited to these (omitted: the whole role)");

export const ApiKeyKindSchema = z
  .enum(['test', 'live'])
  .describe('test keys act in test mode, live keys in live mode');

export const ApiKeySchema = z
  .object({
    id: IdSchema,
    name: z.string(),
    kind: ApiKeyKindSchema,
    prefix: z.string().describe('The first characters of the key, for recognising it'),
    userId: IdSchema.describe('The user the key acts for'),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    permissions: NarrowingSchema.nullable(),
  })
  .describe('An API key, without its secret');
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const CreateApiKeySchema = z
  .object({
    name: z.string().trim().min(1).max(100).describe('What the key is for'),
    kind: ApiKeyKindSchema,
    permissions: NarrowingSchema.optional(),
  })
  .strict();
export type CreateApiKey = z.infer<typeof CreateApiKeySchema>;

export const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().describe('The secret key. Shown once: store it now, it cannot be read again'),
});
export type CreatedApiKey = z.infer<typeof CreatedApiKeySchema>;

export const ListApiKeysQuerySchema = z
  .object({
    includeRevoked: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
  })
  .strict();
