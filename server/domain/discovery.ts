/**
 * Contracts of API discovery (server/discovery/): what `discover_spec`, `read_docs` and
 * `probe_endpoint` answer. Kept flat and small: the tool list carries these schemas to every
 * client, so nested detail is typed loosely (`z.record`) where a model only needs to read it.
 */
import { z } from 'zod';

export const SpecCandidateSchema = z.object({
  url: z.string(),
  evidence: z
    .array(z.string())
    .describe('Why it is a candidate: "well-known path", "linked from <page>", "given specUrl"'),
  confirmed: z.boolean().describe('Fetched and parsed as OpenAPI, Swagger or Postman'),
  format: z.string().optional().describe('e.g. "openapi 3.0.3", "swagger 2.0", "postman 2.1"'),
  title: z.string().optional(),
  version: z.string().optional(),
  paths: z.number().int().optional(),
  operations: z.number().int().optional(),
  note: z.string().optional().describe('Why it is not confirmed'),
});
export type SpecCandidate = z.infer<typeof SpecCandidateSchema>;

export const DiscoverSpecResultSchema = z.object({
  candidates: z.array(SpecCandidateSchema).describe('Confirmed first, best evidence first'),
  hosts: z.array(z.string()).describe('Hosts whose well-known paths were tried'),
  requests: z.number().int().describe('HTTP requests sent'),
  notes: z.array(z.string()),
});
export type DiscoverSpecResult = z.infer<typeof DiscoverSpecResultSchema>;

export const CurlRequestSchema = z.object({
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().optional(),
  user: z.string().optional().describe('-u user:password, as written in the docs'),
});
export type CurlRequest = z.infer<typeof CurlRequestSchema>;

export const AuthHintSchema = z.object({
  type: z.enum(['bearer', 'basic', 'api_key', 'oauth2']),
  in: z.enum(['header', 'query']).optional(),
  name: z.string().optional().describe('Header or query parameter name'),
  evidence: z.string().describe('The text it was read from'),
});
export type AuthHint = z.infer<typeof AuthHintSchema>;

export const DocsPageSchema = z.object({
  url: z.string().describe('Where the page was read (after redirects)'),
  title: z.string(),
  markdown: z.string().describe('The main content as Markdown'),
  truncated: z.boolean().describe('True when markdown was cut to the size limit'),
  links: z.array(z.object({ text: z.string(), url: z.string() })),
  codeBlocks: z.array(z.object({ language: z.string().optional(), code: z.string() })),
  curl: z.array(CurlRequestSchema).describe('curl examples, parsed'),
  tables: z
    .array(
      z.object({ headers: z.array(z.string()), rows: z.array(z.record(z.string(), z.string())) }),
    )
    .describe('Tables with a header row: one object per row, keyed by header text'),
  authHints: z.array(AuthHintSchema),
});
export type DocsPage = z.infer<typeof DocsPageSchema>;

export const AuthChallengeSchema = z.object({
  scheme: z.string(),
  realm: z.string().optional(),
  params: z.record(z.string(), z.string()),
});
export type AuthChallenge = z.infer<typeof AuthChallengeSchema>;

export const ProbeResultSchema = z.object({
  url: z.string().describe('The URL probed (no credentials)'),
  status: z.number().int(),
  headers: z.record(z.string(), z.string()).describe('Response headers, secrets masked'),
  contentType: z.string().optional(),
  body: z.string().describe('The start of the body, as text'),
  bodyTruncated: z.boolean(),
  schema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('JSON Schema inferred from a JSON body'),
  authChallenges: z.array(AuthChallengeSchema).describe('Parsed WWW-Authenticate'),
  rateLimit: z
    .record(z.string(), z.string())
    .describe('limit, remaining, reset, retryAfter as found, plus the raw headers'),
  pagination: z.object({
    next: z.string().optional().describe('The next page URL or cursor, if any'),
    links: z.record(z.string(), z.string()).describe('Link header, by rel'),
    fields: z
      .array(z.object({ path: z.string(), value: z.unknown() }))
      .describe('Body fields that look like paging (next_cursor, has_more, ...)'),
  }),
  durationMs: z.number(),
});
export type ProbeResult = z.infer<typeof ProbeResultSchema>;
