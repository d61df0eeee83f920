import { z } from 'zod';

/** A stored spec is at most this large (the importer's own limit is higher; a stored copy is kept). */
export const SPEC_MAX_BYTES = 20 * 1024 * 1024;

export const SpecSchema = z.object({
  specId: z.uuid(),
  name: z.string().nullable(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  createdAt: z.string(),
});
export type Spec = z.infer<typeof SpecSchema>;

export const CreateSpecSchema = z
  .object({
    text: z.string().min(2).max(SPEC_MAX_BYTES).describe('JSON or YAML'),
    name: z.string().min(1).max(200).optional(),
  })
  .strict();

export const SpecParamsSchema = z.object({ specId: z.uuid() }).strict();

/** What GET /specs/:specId answers: the record, and the text when asked for. */
export const SpecWithTextSchema = SpecSchema.extend({ text: z.string().optional() });

/**
 * Why a spec URL cannot be fetched, in words that say what to do instead. null: acceptable.
 * file: URLs are the common case: an agent holds a local file and has no way to hand it over
 * by URL, because the server that fetches is not on its machine.
 */
export function specUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `not a URL: ${url.slice(0, 200)}; give an http(s) URL, the spec as text, or a specId from upload_spec/create_spec`;
  }
  if (parsed.protocol === 'file:')
    return 'file URLs are read only by `weft mcp` on your machine: use upload_spec { path } there (stdio), or create_spec { text } / POST /api/v1/specs, then import with { specId }';
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `${parsed.protocol} URLs are not fetched: give an http(s) URL of a public host, the spec as text, or a specId`;
  return null;
}
