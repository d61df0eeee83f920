import { z } from 'zod';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an id taken from outside (a query string, a header, a ref that may be an id or a slug)
 * is a UUID Postgres accepts. Check before it reaches SQL: a malformed one is a client mistake,
 * not an internal error. Every `IdSchema` value passes it.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

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
