import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVendorSite, type VendorSite } from '../../test/fixtures/vendor-site.ts';
import { createGuardedDispatcher } from '../net/ssrf.ts';
import { readDocs } from './docs.ts';
import { createDiscoveryFetch, type DiscoveryFetch } from './fetch.ts';
import { probeEndpoint } from './probe.ts';
import { discoverSpec } from './spec.ts';

describe('discovery against a vendor site on loopback', () => {
  let site: VendorSite;
  let dispatcher: Dispatcher;
  let http: DiscoveryFetch;

  beforeAll(async () => {
    site = await startVendorSite();
    dispatcher = createGuardedDispatcher({ allowlist: site.allowlist, mode: 'test' });
    http = createDiscoveryFetch({ dispatcher });
  });
  afterAll(async () => {
    await dispatcher.close();
    await site.close();
  });

  it('finds the spec linked from the docs and the one at a well-known path, confirmed', async () => {
    const result = await discoverSpec({ http, docsUrl: site.urls.docs, domain: site.apiOrigin });
    expect(result.candidates).toEqual([
      {
        url: site.urls.specYaml,
        evidence: [`linked from ${site.urls.docs}`],
        confirmed: true,
        format: 'openapi 3.0.3',
        title: 'Acme API',
        version: '2024-06-01',
        paths: 2,
        operations: 2,
      },
      {
        url: site.urls.specJson,
        evidence: ['well-known path'],
        confirmed: true,
        format: 'openapi 3.1.0',
        title: 'Acme API',
        version: '2024-06-01',
        paths: 3,
        operations: 5,
      },
    ]);
    expect(result.hosts).toEqual([new URL(site.apiOrigin).host]);
    // Well-known paths on an IP host: every path once, no subdomains.
    expect(result.requests).toBeGreaterThanOrEqual(18);
  });

  it('reads Redoc spec-url and Swagger UI url: config, and ignores a SPA shell at well-known paths', async () => {
    const redoc = await discoverSpec({ http, docsUrl: site.urls.redoc, domain: site.docsOrigin });
    expect(redoc.candidates.map((c) => [c.url, c.confirmed, c.evidence])).toEqual([
      [site.urls.specJson, true, [`linked from ${site.urls.redoc}`]],
    ]);
    const swagger = await discoverSpec({
      http,
      docsUrl: site.urls.swaggerUi,
      domain: site.docsOrigin,
    });
    expect(swagger.candidates.map((c) => c.url)).toEqual([site.urls.specYaml]);
  });

  it('reports a given specUrl that is not a spec, unconfirmed, with why', async () => {
    const result = await discoverSpec({
      http,
      specUrl: `${site.docsOrigin}/docs`,
      domain: site.docsOrigin,
    });
    expect(result.candidates[0]).toMatchObject({
      url: `${site.docsOrigin}/docs`,
      confirmed: false,
      note: 'not an OpenAPI, Swagger or Postman document',
    });
    expect(result.notes.join(' ')).toMatch(/no spec confirmed/);
  });

  it('reads a docs page: Markdown, curl examples, the parameter table, auth hints, links', async () => {
    const page = await readDocs({ http, url: site.urls.docs });
    expect(page.title).toBe('List items – Acme API reference');
    expect(page.markdown).toContain('Authenticate every request');
    expect(page.markdown).not.toContain('Pricing'); // navigation is not main content
    expect(page.curl).toEqual([
      {
        method: 'GET',
        url: `${site.apiOrigin}/v1/items?limit=2`,
        headers: { 'X-Api-Key': 'YOUR_API_KEY', Accept: 'application/json' },
      },
      {
        method: 'POST',
        url: `${site.apiOrigin}/v1/items`,
        headers: { Authorization: 'Bearer YOUR_TOKEN', 'Content-Type': 'application/json' },
        body: '{"name": "Widget", "tags": ["a b", "c"]}',
      },
      { method: 'GET', url: `${site.apiOrigin}/v1/me`, headers: {}, user: 'acme_user:acme_pass' },
    ]);
    expect(page.tables).toEqual([
      {
        headers: ['Name', 'Type', 'Required', 'Description'],
        rows: [
          {
            Name: 'limit',
            Type: 'integer',
            Required: 'no',
            Description: 'Items per page, 1 to 100 (default 2)',
          },
          {
            Name: 'cursor',
            Type: 'string',
            Required: 'no',
            Description: 'The next_cursor of the previous page',
          },
        ],
      },
    ]);
    expect(page.authHints.map((h) => [h.type, h.in, h.name])).toEqual(
      expect.arrayContaining([
        ['api_key', 'header', 'X-Api-Key'],
        ['api_key', 'query', 'api_key'],
        ['bearer', 'header', 'Authorization'],
        ['basic', 'header', 'Authorization'],
        ['oauth2', undefined, undefined],
      ]),
    );
    expect(page.codeBlocks.map((b) => b.language)).toEqual(['bash', 'shell', undefined, 'json']);
    expect(page.links).toContainEqual({ text: 'OpenAPI specification', url: site.urls.specYaml });
  });

  it('reads a Markdown page as it is, with its curl example', async () => {
    const page = await readDocs({ http, url: site.urls.markdown });
    expect(page.title).toBe('Acme quick start');
    expect(page.curl).toEqual([
      {
        method: 'GET',
        url: `${site.apiOrigin}/v1/items?limit=1`,
        headers: { 'X-Api-Key': 'YOUR_API_KEY' },
      },
    ]);
  });

  it('probes without a key: 401 with the parsed challenge', async () => {
    const result = await probeEndpoint({
      http,
      baseUrl: site.apiOrigin,
      method: 'GET',
      path: '/v1/items',
    });
    expect(result.status).toBe(401);
    expect(result.authChallenges).toEqual([
      { scheme: 'ApiKey', realm: 'acme', params: { header: 'X-Api-Key', error: 'missing_key' } },
    ]);
    const me = await probeEndpoint({
      http,
      baseUrl: site.apiOrigin,
      method: 'GET',
      path: '/v1/me',
    });
    expect(me.authChallenges.map((c) => c.scheme)).toEqual(['Bearer', 'Basic']);
  });

  it('probes with a key: schema, Link pagination, cursor fields and rate limits', async () => {
    const result = await probeEndpoint({
      http,
      baseUrl: `${site.apiOrigin}/v1`,
      method: 'GET',
      path: '/items',
      query: { limit: '2' },
      headers: { 'X-Api-Key': site.apiKey },
    });
    expect(result.status).toBe(200);
    expect(result.pagination).toEqual({
      next: `${site.apiOrigin}/v1/items?limit=2&cursor=2`,
      links: {
        next: `${site.apiOrigin}/v1/items?limit=2&cursor=2`,
        first: `${site.apiOrigin}/v1/items?limit=2`,
      },
      fields: [
        { path: 'has_more', value: true },
        { path: 'next_cursor', value: '2' },
      ],
    });
    expect(result.rateLimit).toMatchObject({ limit: '100', reset: '60' });
    expect(result.schema).toMatchObject({
      type: 'object',
      properties: {
        data: {
          type: 'array',
          items: {
            properties: {
              id: { type: 'string' },
              created_at: { type: 'string', format: 'date-time' },
            },
          },
        },
        next_cursor: { type: 'string' },
      },
    });
  });

  it('masks the key where the API echoes it, and secret response headers', async () => {
    const result = await probeEndpoint({
      http,
      baseUrl: site.apiOrigin,
      method: 'GET',
      path: '/v1/whoami',
      query: { api_key: site.apiKey },
    });
    expect(result.status).toBe(200);
    expect(JSON.stringify(result)).not.toContain(site.apiKey);
    expect(result.body).toContain('"key_used":"***"');
    expect(result.headers['x-acme-session-token']).toBe('***');
  });

  it('reports a redirect instead of following it, and reads retry-after on a 429', async () => {
    const moved = await probeEndpoint({
      http,
      baseUrl: site.apiOrigin,
      method: 'GET',
      path: '/v1/moved',
      headers: { 'X-Api-Key': site.apiKey },
    });
    expect(moved.status).toBe(302);
    expect(moved.headers['location']).toBe(`${site.docsOrigin}/docs`);
    expect(
      site.log.filter((r) => r.path === '/docs' && r.headers['x-api-key'] !== undefined),
    ).toEqual([]);
    const limited = await probeEndpoint({
      http,
      baseUrl: site.apiOrigin,
      method: 'HEAD',
      path: '/v1/limited',
    });
    expect(limited.rateLimit).toMatchObject({ retryAfter: '30', limit: '100', remaining: '0' });
  });
});

describe('discovery with the SSRF guard in production mode', () => {
  let site: VendorSite;
  let dispatcher: Dispatcher;
  let http: DiscoveryFetch;

  beforeAll(async () => {
    site = await startVendorSite();
    dispatcher = createGuardedDispatcher({ allowlist: [], mode: 'production' });
    http = createDiscoveryFetch({ dispatcher });
  });
  afterAll(async () => {
    await dispatcher.close();
    await site.close();
  });

  it.each([
    ['loopback', () => site.urls.docs],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/'],
    ['private', () => 'http://10.0.0.7/docs'],
  ])('refuses a %s address in read_docs, probe and discovery', async (_what, url) => {
    const target = url();
    await expect(readDocs({ http, url: target })).rejects.toMatchObject({
      code: 'bad_request',
      details: { reason: 'ssrf_blocked' },
    });
    await expect(
      probeEndpoint({ http, baseUrl: new URL(target).origin, method: 'GET', path: '/' }),
    ).rejects.toMatchObject({ code: 'bad_request', details: { reason: 'ssrf_blocked' } });
    await expect(discoverSpec({ http, docsUrl: target })).rejects.toMatchObject({
      code: 'bad_request',
      details: { reason: 'ssrf_blocked' },
    });
    await expect(discoverSpec({ http, domain: new URL(target).origin })).rejects.toMatchObject({
      code: 'bad_request',
      details: { reason: 'ssrf_blocked' },
    });
    // Nothing reached the vendor site.
    expect(site.log).toEqual([]);
  });
});
