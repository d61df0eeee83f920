import { z } from 'zod';

export const IdSchema = z.uuid({ error: 'must be a UUID' });

export const IdParamsSchema = z.object({ id: IdSchema }).strict();

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. not_found'),
      message: z.string().describe('What went wrong and what to do about it'),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string().optional(),
    }),
  })
  .describe('Every error has this shape');

export const LimitSchema = z.coerce.number().int().min(1).max(200).default(50);

export const CursorSchema = z
  .string()
  .max(200)
  .optional()
  .describe('Opaque cursor from the previous page (nextCursor)');

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` for the next page; null at the end'),
  });
}

export const JsonObjectSchema = z
  .record(z.string(), z.unknown())
  .refine((value) => JSON.stringify(value).length <= 16_384, {
    message: 'must serialize to at most 16 KiB',
  });
