// Thin adapter: a probe by URL goes through server/discovery/probe.ts (the SSRF guard from the
// instance config); a probe through a connection goes through the proxy service (the
// connection's auth, its base URL, its secrets scrubbed) and its answer is read the same way.
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { ProbeResultSchema } from '../../server/domain/discovery.ts';
import { withDiscoveryFetch } from '../../server/discovery/fetch.ts';
import { analyzeResponse, PROBE_METHODS, probeEndpoint } from '../../server/discovery/probe.ts';
import { proxyRequest } from '../../server/modules/connections/actions.service.ts';
import { AppError } from '../../server/errors.ts';

export default defineTool({
  name: 'probe_endpoint',
  title: 'Probe API endpoint',
  description:
    "One GET, HEAD or OPTIONS to an endpoint (or with a connection's auth): status, masked headers, body sample and schema, auth challenge, rate-limit and paging hints.",
  input: z
    .object({
      baseUrl: z
        .url({ protocol: /^https?$/ })
        .max(2000)
        .optional()
        .describe('Or give connectionId'),
      connectionId: z.uuid().optional().describe('Send with this connection’s auth and base URL'),
      method: z
        .enum(PROBE_METHODS, {
          error: 'probe_endpoint sends only GET, HEAD or OPTIONS; writes are refused',
        })
        .default('GET'),
      path: z.string().min(1).max(4000).regex(/^\//, 'must start with /'),
      query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
      headers: z
        .record(z.string(), z.string().max(8000))
        .optional()
        .describe('e.g. an API key to try; masked in the answer'),
    })
    .strict(),
  output: ProbeResultSchema,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: true },
  // A probe through a connection uses its credentials, as proxy_request does.
  permission: 'connections:execute',
  external: true,
  handler: async (input, ctx) => {
    if ((input.baseUrl === undefined) === (input.connectionId === undefined))
      throw new AppError('validation_failed', 'give exactly one of baseUrl or connectionId');
    const { baseUrl, connectionId, method, path, query, headers } = input;
    if (baseUrl !== undefined) {
      return withDiscoveryFetch({
        config: ctx.config,
        fn: (http) =>
          probeEndpoint({
            http,
            baseUrl,
            method,
            path,
            ...(query !== undefined && { query }),
            ...(headers !== undefined && { headers }),
          }),
      });
    }
    if (method === 'OPTIONS')
      throw new AppError(
        'validation_failed',
        'OPTIONS is sent only with baseUrl, not through a connection',
      );
    const result = await proxyRequest({
      runtime: ctx.runtime,
      tenant: ctx.tenant,
      connectionId: connectionId ?? '',
      request: {
        method,
        path,
        bodyType: 'json',
        ...(query !== undefined && { query }),
        ...(headers !== undefined && { headers }),
      },
    });
    return analyzeResponse({
      answer: {
        url: path,
        status: result.status,
        headers: result.headers,
        body: result.body,
        truncated: false,
        durationMs: result.durationMs,
      },
      secrets: Object.values(headers ?? {}),
    });
  },
  summarize: (o) =>
    `HTTP ${o.status}${o.authChallenges.length > 0 ? ` (${o.authChallenges.map((c) => c.scheme).join(', ')} challenge)` : ''}${o.pagination.next !== undefined ? ', has a next page' : ''}`,
});
