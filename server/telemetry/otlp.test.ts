// Spans leave the process over OTLP/HTTP to a small collector on loopback: a request that carries
// a W3C traceparent runs a workflow whose sandbox fetches from an upstream API, and the collector
// receives one trace in which the request's span is the parent of the run, the run of the sandbox
// call, and the sandbox call (through the ctx operation) of the upstream request, whose
// traceparent the upstream API received.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerAgent } from '../../agents/registry.ts';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../test/app.ts';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number };
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[];
  }[];
}

const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function attr(span: { attributes: { key: string; value: OtlpValue }[] }, key: string): unknown {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? undefined : Number(value.intValue));
}

describe('trace export over OTLP/HTTP', () => {
  const exports: { contentType: string | undefined; body: OtlpExport }[] = [];
  const upstreamHeaders: IncomingHttpHeaders[] = [];
  let collector: Server;
  let upstream: Server;
  let upstreamUrl: string;
  let t: TestApp;
  let org: SeededOrg;
  let weftUrl: string;

  beforeAll(async () => {
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.url === '/v1/traces' && req.method === 'POST') {
          exports.push({
            contentType: req.headers['content-type'],
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport,
          });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    upstream = createServer((req, res) => {
      upstreamHeaders.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"items":[1,2,3]}');
    });
    const collectorUrl = await listen(collector);
    upstreamUrl = await listen(upstream);
    t = await createTestApp('pglite', {
      workers: true,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
        WEFT_SSRF_TEST_ALLOWLIST: new URL(upstreamUrl).host,
        WEFT_SANDBOX_PROCESSES: '1',
      },
    });
    org = await seedOrg(t, 'Traced');
    weftUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  }, 60_000);

  afterAll(async () => {
    await t.close();
    collector.close();
    upstream.close();
  });

  const call = async (method: string, path: string, body: unknown, headers = {}) => {
    const res = await fetch(`${weftUrl}${path}`, {
      method,
      headers: { 'x-fastn-api-key': org.liveKey, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('links the incoming request, the sandbox call and the upstream request in one trace', async () => {
    const source = `export default async function (ctx) {
      const res = await ctx.http.fetch(ctx.input.base + '/items?page=1');
      return { count: (await res.json()).items.length };
    }`;
    const slug = 'traced-fetch';
    expect((await call('POST', '/api/v1/workflows', { name: slug, slug, source })).status).toBe(
      201,
    );
    const published = await call('POST', `/api/v1/workflows/${slug}/publish`, {
      deployTo: ['production'],
    });
    expect(published.status, JSON.stringify(published.json)).toBe(201);

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpanId = '00f067aa0ba902b7';
    const ran = await call(
      'POST',
      `/api/v1/workflows/${slug}/run`,
      { input: { base: upstreamUrl } },
      { traceparent: `00-${traceId}-${callerSpanId}-01` },
    );
    expect(ran.status, JSON.stringify(ran.json)).toBe(200);
    expect(ran.json).toMatchObject({ status: 'completed', output: { count: 3 } });

    // The upstream API saw the trace continue: same trace, a new parent (our client span).
    expect(upstreamHeaders).toHaveLength(1);
    const sent = String(upstreamHeaders[0]?.['traceparent']);
    expect(sent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const upstreamParent = sent.split('-')[2];

    const spans = await vi.waitFor(
      () => {
        const found = exports
          .flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans))
          .flatMap((s) => s.spans)
          .filter((s) => s.traceId === traceId);
        if (found.length < 5) throw new Error(`${found.length} spans of the trace so far`);
        return found;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(exports[0]?.contentType).toMatch(/^application\/json/);

    const one = (predicate: (s: OtlpSpan) => boolean, what: string): OtlpSpan => {
      const matching = spans.filter(predicate);
      expect(matching, what).toHaveLength(1);
      return matching[0] as OtlpSpan;
    };
    const server = one((s) => s.kind === SPAN_KIND.server, 'the request span');
    const run = one((s) => s.name === `workflow.run ${slug}`, 'the run span');
    const sandbox = one((s) => s.name === 'sandbox.run', 'the sandbox span');
    const ctxCall = one((s) => s.name.startsWith('ctx.http.fetch '), 'the ctx call span');
    const client = one((s) => s.kind === SPAN_KIND.client, 'the upstream request span');

    expect(server.parentSpanId).toBe(callerSpanId);
    expect(server.name).toBe('POST /api/v1/workflows/:id/run');
    expect(attr(server, 'http.route')).toBe('/api/v1/workflows/:id/run');
    expect(attr(server, 'http.request.method')).toBe('POST');
    expect(attr(server, 'http.response.status_code')).toBe(200);

    expect(run.parentSpanId).toBe(server.spanId);
    expect(attr(run, 'weft.workflow.slug')).toBe(slug);
    expect(attr(run, 'weft.org.id')).toBe(org.organization.id);
    expect(attr(run, 'weft.execution.id')).toBe(ran.json['executionId']);

    expect(sandbox.parentSpanId).toBe(run.spanId);
    expect(ctxCall.parentSpanId).toBe(sandbox.spanId);
    expect(client.parentSpanId).toBe(ctxCall.spanId);
    expect(client.spanId).toBe(upstreamParent);
    expect(client.name).toBe('GET');
    expect(attr(client, 'http.request.method')).toBe('GET');
    expect(attr(client, 'http.response.status_code')).toBe(200);
    // The query is left out of the recorded URL: credentials are sometimes placed there.
    expect(attr(client, 'url.full')).toBe(`${upstreamUrl}/items`);
    expect(attr(client, 'server.address')).toBe('127.0.0.1');

    const resource = exports
      .flatMap((e) => e.body.resourceSpans)
      .find((r) => r.scopeSpans.some((s) => s.spans.includes(server)))?.resource;
    expect(resource).toBeDefined();
    const resourceAttr = (key: string) => attr(resource as { attributes: never[] }, key);
    expect(resourceAttr('service.name')).toBe('weft');
    expect(resourceAttr('service.version')).toMatch(/^\d+\.\d+\.\d+/);
    expect(resourceAttr('service.instance.id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(resourceAttr('deployment.environment.name')).toBe('test');
    expect(resourceAttr('telemetry.sdk.language')).toBe('nodejs');
    expect(resourceAttr('process.pid')).toBe(process.pid);
  });

  it('continues the trace on the worker that runs a queued execution', async () => {
    const slug = 'traced-queued';
    const source = `export default async function (ctx) {
      const res = await ctx.http.fetch(ctx.input.base + '/queued');
      return { status: res.status };
    }`;
    const created = await call('POST', '/api/v1/workflows', {
      name: slug,
      slug,
      source,
      tier: 'standard',
      timeoutMs: 10_000,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(
      (await call('POST', `/api/v1/workflows/${slug}/publish`, { deployTo: ['production'] }))
        .status,
    ).toBe(201);
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const ran = await call(
      'POST',
      `/api/v1/workflows/${slug}/run`,
      { input: { base: upstreamUrl } },
      { traceparent: `00-${traceId}-1111111111111111-01` },
    );
    expect(ran.status, JSON.stringify(ran.json)).toBe(202);
    const spans = await vi.waitFor(
      () => {
        const found = exports
          .flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans))
          .flatMap((s) => s.spans)
          .filter((s) => s.traceId === traceId);
        if (!found.some((s) => s.kind === SPAN_KIND.client)) throw new Error('not run yet');
        return found;
      },
      { timeout: 30_000, interval: 200 },
    );
    const server = spans.find((s) => s.kind === SPAN_KIND.server) as OtlpSpan;
    const run = spans.find((s) => s.name === `workflow.run ${slug}`) as OtlpSpan;
    expect(server.parentSpanId).toBe('1111111111111111');
    expect(run.parentSpanId).toBe(server.spanId);
    expect(attr(run, 'weft.workflow.tier')).toBe('standard');
    expect(upstreamHeaders.at(-1)?.['traceparent']).toMatch(new RegExp(`^00-${traceId}-`));
  });

  it('continues the trace in an agent run on the worker, with its tool calls under it', async () => {
    // A stand-in for the Connector Agent: one real tool call through the run's MCP client.
    const restore = registerAgent('connector', async ({ client }) => {
      await client.callTool({ name: 'list_customers', arguments: {} });
      return { ok: true };
    });
    try {
      const traceId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
      const started = await call(
        'POST',
        '/api/v1/agent-runs',
        { kind: 'connector', input: { source: 'https://example.test/openapi.json' } },
        { traceparent: `00-${traceId}-2222222222222222-01` },
      );
      expect(started.status, JSON.stringify(started.json)).toBe(202);
      const spans = await vi.waitFor(
        () => {
          const found = exports
            .flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans))
            .flatMap((s) => s.spans)
            .filter((s) => s.traceId === traceId);
          if (!found.some((s) => s.name === 'agent.run connector')) throw new Error('not yet');
          if (!found.some((s) => s.name === 'execute_tool list_customers')) throw new Error('no');
          return found;
        },
        { timeout: 30_000, interval: 200 },
      );
      const server = spans.find((s) => s.kind === SPAN_KIND.server) as OtlpSpan;
      const run = spans.find((s) => s.name === 'agent.run connector') as OtlpSpan;
      expect(run.parentSpanId).toBe(server.spanId);
      expect(attr(run, 'weft.agent_run.id')).toBe(started.json['runId']);
      // The tool call nests somewhere under the run (the in-process MCP client adds no span).
      const tool = spans.find((s) => s.name === 'execute_tool list_customers') as OtlpSpan;
      const ancestors = new Set<string>();
      for (let at: OtlpSpan | undefined = tool; at;) {
        ancestors.add(at.spanId);
        at = spans.find((s) => s.spanId === at?.parentSpanId);
      }
      expect(ancestors.has(run.spanId)).toBe(true);
    } finally {
      restore();
    }
  });

  it('records an MCP tool call as a child of the request that carried it', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const client = new Client({ name: 'traced-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${weftUrl}/mcp/admin`), {
        requestInit: {
          headers: {
            'x-fastn-api-key': org.liveKey,
            traceparent: `00-${traceId}-b7ad6b7169203331-01`,
          },
        },
      }),
    );
    const listed = await client.callTool({ name: 'list_customers', arguments: {} });
    expect(listed.isError).toBeFalsy();
    await client.close();
    const spans = await vi.waitFor(
      () => {
        const found = exports
          .flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans))
          .flatMap((s) => s.spans)
          .filter((s) => s.traceId === traceId);
        if (!found.some((s) => s.name === 'execute_tool list_customers')) {
          throw new Error('no tool span yet');
        }
        return found;
      },
      { timeout: 15_000, interval: 100 },
    );
    const tool = spans.find((s) => s.name === 'execute_tool list_customers') as OtlpSpan;
    expect(attr(tool, 'gen_ai.tool.name')).toBe('list_customers');
    const parent = spans.find((s) => s.spanId === tool.parentSpanId);
    expect(parent?.kind).toBe(SPAN_KIND.server);
    expect(attr(parent as OtlpSpan, 'http.route')).toBe('/mcp/admin');
  });

  it('starts a new trace for a request that carries no traceparent', async () => {
    const res = await fetch(`${weftUrl}/api/v1/workflows/nope/run`, {
      method: 'POST',
      headers: { 'x-fastn-api-key': org.liveKey, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(404);
    const span = await vi.waitFor(
      () => {
        const found = exports
          .flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans))
          .flatMap((s) => s.spans)
          .find(
            (s) =>
              s.kind === SPAN_KIND.server && attr(s, 'url.path') === '/api/v1/workflows/nope/run',
          );
        if (!found) throw new Error('no span yet');
        return found;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(span.parentSpanId ?? '').toBe('');
    expect(attr(span, 'http.response.status_code')).toBe(404);
  });
});
