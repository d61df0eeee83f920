// Thin adapter over server/discovery/docs.ts: the page is fetched through the SSRF guard built
// from the instance config.
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { DocsPageSchema } from '../../server/domain/discovery.ts';
import { readDocs } from '../../server/discovery/docs.ts';
import { withDiscoveryFetch } from '../../server/discovery/fetch.ts';

export default defineTool({
  name: 'read_docs',
  title: 'Read API docs page',
  description:
    'Reads an API docs page as Markdown with links, curl examples, tables and auth hints, when discover_spec finds no spec.',
  input: z
    .object({
      url: z.url({ protocol: /^https?$/ }).max(2000),
    })
    .strict(),
  output: DocsPageSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  permission: 'connectors:read',
  external: true,
  handler: (input, ctx) =>
    withDiscoveryFetch({ config: ctx.config, fn: (http) => readDocs({ http, url: input.url }) }),
  summarize: (o) =>
    `${o.title || o.url}: ${o.markdown.length} characters, ${o.curl.length} curl examples, ${o.tables.length} tables, ${o.authHints.length} auth hints${o.truncated ? ' (cut)' : ''}`,
});
