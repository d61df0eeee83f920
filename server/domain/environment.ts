import { z } from 'zod';

/** Every org has these three without creating them; production is the one test keys never reach. */
export const BUILTIN_ENVIRONMENTS = ['development', 'staging', 'production'] as const;

export const EnvironmentNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, 'lowercase letters, digits and -, starting with a letter');

export const EnvironmentSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    builtIn: z.boolean().describe('development, staging and production exist in every org'),
    deployments: z.number().int().describe('Workflows with a version deployed here'),
    createdAt: z.string().nullable().describe('Null for the built-in environments'),
  })
  .describe('A place workflows are deployed to and run in');
export type EnvironmentInfo = z.infer<typeof EnvironmentSchema>;

export const CreateEnvironmentSchema = z
  .object({
    name: EnvironmentNameSchema.refine(
      (name) => !(BUILTIN_ENVIRONMENTS as readonly string[]).includes(name),
      'development, staging and production exist already',
    ).describe('e.g. qa'),
    description: z.string().max(1024).optional(),
  })
  .strict();
export type CreateEnvironment = z.infer<typeof CreateEnvironmentSchema>;

export const EnvironmentParamsSchema = z.object({ name: EnvironmentNameSchema }).strict();
