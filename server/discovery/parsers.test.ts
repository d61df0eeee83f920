import { describe, expect, it } from 'vitest';
import { parseCurlCommands, shellTokens } from './curl.ts';
import { authHintsOf, htmlToDocs } from './docs.ts';
import {
  maskHeaders,
  pagingFields,
  parseLinkHeader,
  parseWwwAuthenticate,
  probeUrl,
  rateLimitOf,
} from './probe.ts';
import { inferJsonSchema } from './schema.ts';
import { hostsFor, originOf, specLinksOf, summarizeSpec, wellKnownUrls } from './spec.ts';

describe('curl', () => {
  it('reads words with quotes, escapes and line continuations', () => {
    expect(shellTokens(`a 'b c' "d \\"e\\"" f\\ g \\\n h $'i\\nj'`)).toEqual(
      ['a', 'b c', 'd "e"', 'f g', 'h', 'i\nj'].map((word) => ({ word })),
    );
  });

  it('parses -X, -H, --data-raw, --url and -u', () => {
    const [post, me] = parseCurlCommands(`$ curl --request POST \\
     --url https://api.acme.test/v1/items \\
     --header 'Authorization: Bearer T' \\
     -H"Content-Type: application/json" \\
     --data-raw '{"name": "Widget", "tags": ["a b"]}'
curl -u "user:pass" https://api.acme.test/v1/me`);
    expect(post).toEqual({
      method: 'POST',
      url: 'https://api.acme.test/v1/items',
      headers: { Authorization: 'Bearer T', 'Content-Type': 'application/json' },
      body: '{"name": "Widget", "tags": ["a b"]}',
    });
    expect(me).toEqual({
      method: 'GET',
      url: 'https://api.acme.test/v1/me',
      headers: {},
      user: 'user:pass',
    });
  });

  it('moves data to the query with -G, infers POST from -d, HEAD from -I, skips unknown options', () => {
    expect(
      parseCurlCommands('curl -sS -G https://x.test/items -d limit=2 --data-urlencode "q=a b"'),
    ).toEqual([{ method: 'GET', url: 'https://x.test/items?limit=2&q=a b', headers: {} }]);
    expect(parseCurlCommands('curl -o out.json -d a=1 https://x.test/f')[0]).toMatchObject({
      method: 'POST',
      url: 'https://x.test/f',
      body: 'a=1',
    });
    expect(parseCurlCommands('curl -I https://x.test/')[0]?.method).toBe('HEAD');
    expect(parseCurlCommands('curl -XDELETE https://x.test/a/1')[0]?.method).toBe('DELETE');
    expect(parseCurlCommands('curl --json \'{"a":1}\' https://x.test/j')[0]).toMatchObject({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
    });
  });

  it('separates commands on ;, &&, | and newlines, and ignores non-curl commands and comments', () => {
    const commands = parseCurlCommands(
      '# list\nexport KEY=1; curl https://x.test/a | jq . && curl https://x.test/b\necho curl https://no',
    );
    expect(commands.map((c) => c.url)).toEqual(['https://x.test/a', 'https://x.test/b']);
  });
});

describe('probe parsers', () => {
  it('parses WWW-Authenticate with several challenges, quoted values and a token68', () => {
    expect(
      parseWwwAuthenticate(
        'Bearer realm="acme", error="invalid_token", error_description="a \\"quoted\\" word", Basic realm="legacy", Negotiate abc123==',
      ),
    ).toEqual([
      {
        scheme: 'Bearer',
        realm: 'acme',
        params: { error: 'invalid_token', error_description: 'a "quoted" word' },
      },
      { scheme: 'Basic', realm: 'legacy', params: {} },
      { scheme: 'Negotiate', params: { token68: 'abc123==' } },
    ]);
    expect(parseWwwAuthenticate('ApiKey header=X-Api-Key')).toEqual([
      { scheme: 'ApiKey', params: { header: 'X-Api-Key' } },
    ]);
  });

  it('parses Link headers by rel, resolving relative targets', () => {
    expect(
      parseLinkHeader({
        value:
          '</items?page=2>; rel="next", <https://x.test/items?page=9>; rel=last, <https://x.test/a>; rel="prev first"',
        base: 'https://x.test/items?page=1',
      }),
    ).toEqual({
      next: 'https://x.test/items?page=2',
      last: 'https://x.test/items?page=9',
      prev: 'https://x.test/a',
      first: 'https://x.test/a',
    });
  });

  it('reads rate-limit headers in their common spellings', () => {
    expect(
      rateLimitOf({
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '7',
        'x-ratelimit-reset': '60',
        etag: 'x',
      }),
    ).toEqual({
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '7',
      'x-ratelimit-reset': '60',
      limit: '100',
      remaining: '7',
      reset: '60',
    });
    expect(
      rateLimitOf({ ratelimit: 'limit=10, remaining=0, reset=30', 'retry-after': '30' }),
    ).toMatchObject({
      limit: '10',
      remaining: '0',
      reset: '30',
      retryAfter: '30',
    });
  });

  it('finds paging fields at the top and one level down', () => {
    expect(
      pagingFields({
        data: [{ next: 'not me' }],
        has_more: true,
        meta: { next_cursor: 'c2', total: 9 },
        name: 'x',
      }),
    ).toEqual([
      { path: 'has_more', value: true },
      { path: 'meta.next_cursor', value: 'c2' },
      { path: 'meta.total', value: 9 },
    ]);
    expect(pagingFields({ nextPageToken: 't' })).toEqual([{ path: 'nextPageToken', value: 't' }]);
  });

  it('masks secret headers but keeps challenges and rate limits', () => {
    expect(
      maskHeaders({
        'set-cookie': 's=1',
        'x-session-token': 'abc',
        'www-authenticate': 'Bearer',
        'x-ratelimit-limit': '5',
        'content-type': 'application/json',
      }),
    ).toEqual({
      'set-cookie': '***',
      'x-session-token': '***',
      'www-authenticate': 'Bearer',
      'x-ratelimit-limit': '5',
      'content-type': 'application/json',
    });
  });

  it('joins a path under the base path and adds the query', () => {
    expect(
      probeUrl({
        baseUrl: 'https://x.test/api/v1/',
        path: '/items?a=1',
        query: { b: ['2', '3'] },
      }).toString(),
    ).toBe('https://x.test/api/v1/items?a=1&b=2&b=3');
  });
});

describe('schema inference', () => {
  it('merges array items: union of fields, required only when always present, mixed types', () => {
    expect(
      inferJsonSchema({
        data: [
          { id: 1, name: 'a', at: '2024-06-01T00:00:00Z', email: 'a@b.co' },
          { id: 2, name: null, at: '2024-06-02T00:00:00Z', score: 1.5 },
        ],
        has_more: false,
      }),
    ).toEqual({
      type: 'object',
      properties: {
        data: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'integer' },
              name: { type: ['null', 'string'] },
              at: { type: 'string', format: 'date-time' },
              email: { type: 'string', format: 'email' },
              score: { type: 'number' },
            },
            required: ['id', 'name', 'at'],
          },
        },
        has_more: { type: 'boolean' },
      },
      required: ['data', 'has_more'],
    });
  });
});

describe('spec discovery helpers', () => {
  it('finds spec links: anchors, Redoc spec-url, Swagger UI url:, Redoc.init', () => {
    const html = `<html><body>
      <a href="/files/openapi.yaml">spec</a><a href="/docs/other">not a spec</a>
      <link rel="alternate" href="https://cdn.x.test/swagger.json">
      <redoc spec-url="https://api.x.test/v3/api-docs"></redoc>
      <script>const ui = SwaggerUIBundle({ url: "/api/spec", dom_id: '#x' });</script>
      <script>Redoc.init('https://x.test/redoc.json', {}, el)</script>
      <script>const other = { url: "/ignored" };</script>
    </body></html>`;
    expect(specLinksOf({ html, base: 'https://docs.x.test/ref/' })).toEqual([
      'https://docs.x.test/files/openapi.yaml',
      'https://cdn.x.test/swagger.json',
      'https://api.x.test/v3/api-docs',
      'https://docs.x.test/api/spec',
      'https://x.test/redoc.json',
    ]);
  });

  it('summarizes OpenAPI, Swagger and Postman documents, and nothing else', () => {
    expect(
      summarizeSpec(
        'openapi: 3.0.3\ninfo: {title: T, version: "1"}\npaths:\n  /a: {get: {}, post: {}, parameters: []}\n  /b: {get: {}}\n',
      ),
    ).toEqual({ format: 'openapi 3.0.3', title: 'T', version: '1', paths: 2, operations: 3 });
    expect(
      summarizeSpec('{"swagger":"2.0","info":{"title":"S","version":"2"},"paths":{}}'),
    ).toMatchObject({
      format: 'swagger 2.0',
      operations: 0,
    });
    expect(
      summarizeSpec(
        JSON.stringify({
          info: {
            name: 'P',
            schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
          },
          item: [{ request: {} }, { item: [{ request: {} }, { request: {} }] }],
        }),
      ),
    ).toEqual({ format: 'postman 2.1', title: 'P', operations: 3 });
    expect(summarizeSpec('<html></html>')).toBeNull();
    expect(summarizeSpec('{"hello": "world"}')).toBeNull();
  });

  it('tries the domain and its api., developer. and docs. hosts, each path on every host first', () => {
    expect(hostsFor(originOf('docs.acme.test')).map((u) => u.host)).toEqual([
      'docs.acme.test',
      'acme.test',
      'api.acme.test',
      'developer.acme.test',
    ]);
    expect(hostsFor(originOf('http://127.0.0.1:8080')).map((u) => u.origin)).toEqual([
      'http://127.0.0.1:8080',
    ]);
    const urls = wellKnownUrls(hostsFor(originOf('acme.test')));
    expect(urls.slice(0, 4)).toEqual([
      'https://acme.test/openapi.json',
      'https://api.acme.test/openapi.json',
      'https://developer.acme.test/openapi.json',
      'https://docs.acme.test/openapi.json',
    ]);
    expect(urls.length).toBeGreaterThanOrEqual(20);
    expect(urls.length).toBeLessThanOrEqual(48);
  });
});

describe('docs pages', () => {
  it('reads tables with a header row as rows keyed by header, and skips layout tables', () => {
    const page = htmlToDocs({
      url: 'https://docs.x.test/a',
      html: `<html><head><title>T</title></head><body><article><h1>T</h1><p>${'Words. '.repeat(60)}</p>
        <table><tr><th>Name</th><th>Type</th></tr><tr><td>limit</td><td>integer</td></tr><tr><td>q</td></tr></table>
        <table><tr><td>x</td><td>y</td></tr></table></article></body></html>`,
    });
    expect(page.tables).toEqual([
      {
        headers: ['Name', 'Type'],
        rows: [
          { Name: 'limit', Type: 'integer' },
          { Name: 'q', Type: '' },
        ],
      },
    ]);
    expect(page.markdown).toContain('| Name | Type |');
  });

  it('finds auth hints in prose and curl examples, once each', () => {
    const hints = authHintsOf({
      text: 'Send the X-Api-Key header. Or the api_key query parameter. Uses OAuth 2.0. Authorization: Bearer <t>. Send the X-Api-Key header again.',
      curl: [
        {
          method: 'GET',
          url: 'https://x.test/a?access_token=1',
          headers: { 'X-Api-Key': 'K' },
          user: 'u:p',
        },
      ],
    });
    expect(hints.map(({ evidence: _e, ...h }) => h)).toEqual([
      { type: 'basic', in: 'header', name: 'Authorization' },
      { type: 'api_key', in: 'header', name: 'X-Api-Key' },
      { type: 'api_key', in: 'query', name: 'access_token' },
      { type: 'bearer', in: 'header', name: 'Authorization' },
      { type: 'api_key', in: 'query', name: 'api_key' },
      { type: 'oauth2' },
    ]);
  });
});
