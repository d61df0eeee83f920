import { z } from 'zod';

/** The most a secret value may hold, in UTF-8 bytes. */
export const SECRET_VALUE_MAX_BYTES = 64 * 1024;

export const SecretNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,127}$/,
    'must be 1–128 letters, digits and _, not starting with a digit (e.g. STRIPE_API_KEY)',
  )
  .describe('Name of the secret, e.g. STRIPE_API_KEY; unique in the org');

export const SecretNameParamsSchema = z.object({ name: SecretNameSchema }).strict();

const ActorRefSchema = z.object({
  type: z.enum(['api_key', 'user', 'agent', 'system', 'cli']),
  id: z.string().nullable(),
});

export const SecretSchema = z
  .object({
    name: SecretNameSchema,
    createdAt: z.string().describe('ISO 8601'),
    updatedAt: z.string().describe('ISO 8601'),
    createdBy: ActorRefSchema,
    updatedBy: ActorRefSchema,
  })
  .describe('An org secret, without its value: values can be written but never read back');
export type Secret = z.infer<typeof SecretSchema>;

export const PutSecretSchema = z
  .object({
    value: z
      .string()
      .refine((v) => Buffer.byteLength(v, 'utf8') <= SECRET_VALUE_MAX_BYTES, {
        message: `must be at most ${SECRET_VALUE_MAX_BYTES} bytes (UTF-8)`,
      })
      .describe('The secret value; stored encrypted and never returned by the API'),
  })
  .strict();
export type PutSecret = z.infer<typeof PutSecretSchema>;
