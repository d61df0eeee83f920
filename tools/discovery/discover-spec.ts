// Thin adapter over server/discovery/spec.ts: every request goes through the SSRF guard built
// from the instance config, so the tool reaches what the instance may reach and nothing else.
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { DiscoverSpecResultSchema } from '../../server/domain/discovery.ts';
import { withDiscoveryFetch } from '../../server/discovery/fetch.ts';
import { discoverSpec } from '../../server/discovery/spec.ts';

const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

export default defineTool({
  name: 'discover_spec',
  title: 'Find API spec',
  description:
    "Finds a vendor's OpenAPI/Swagger/Postman spec on its domain, API hosts or docs pages, parsing each candidate; then import_openapi, else read_docs.",
  input: z
    .object({
      app: z.string().min(1).max(100).optional(),
      domain: z.string().min(1).max(300).optional().describe('e.g. acme.com'),
      docsUrl: httpUrl.optional().describe('A docs page to search for spec links'),
      specUrl: httpUrl.optional().describe('A spec URL to confirm'),
    })
    .strict(),
  output: DiscoverSpecResultSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  permission: 'connectors:read',
  external: true,
  handler: (input, ctx) =>
    withDiscoveryFetch({ config: ctx.config, fn: (http) => discoverSpec({ http, ...input }) }),
  summarize: (o) => {
    const best = o.candidates.find((c) => c.confirmed);
    return best === undefined
      ? `no spec confirmed (${o.candidates.length} candidates, ${o.requests} requests)`
      : `best: ${best.url} (${best.title ?? 'untitled'}, ${best.operations ?? 0} operations); ${o.candidates.length} candidates`;
  },
});
