import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/app.ts';

describe('our own API description', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  });
  afterAll(() => t.close());

  it('serves an OpenAPI 3.1 document of every route, with the API key scheme', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>
      >;
      components: { securitySchemes: Record<string, unknown> };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes['apiKey']).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'x-fastn-api-key',
    });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/api/v1/customers',
        '/api/v1/customers/{id}',
        '/api/v1/api-keys',
        '/api/v1/api-keys/{id}/revoke',
        '/api/v1/audit-log',
        '/api/v1/connectors',
        '/api/v1/connectors/{connector}/actions/{action}',
        '/api/v1/connections/{id}/actions/{action}',
        '/api/v1/connections/oauth/start',
        '/api/v1/oauth/callback',
        '/api/v1/traces/{traceId}',
        '/api/v1/workflows/{id}/run',
        '/api/v1/triggers/{id}',
        '/hooks/{id}',
      ]),
    );
    // Every route is documented with at least one response, and only under /api/v1 (or /health,
    // and the public webhook endpoint that senders are given).
    for (const [path, methods] of Object.entries(doc.paths)) {
      expect(
        path === '/health' || path === '/hooks/{id}' || path.startsWith('/api/v1/'),
        path,
      ).toBe(true);
      for (const operation of Object.values(methods))
        expect(Object.keys(operation.responses).length, path).toBeGreaterThan(0);
    }
    const create = doc.paths['/api/v1/customers']?.['post'];
    expect(JSON.stringify(create?.requestBody)).toContain('externalId');
    expect(Object.keys(create?.responses ?? {})).toEqual(
      expect.arrayContaining(['201', '401', '409', '422']),
    );
  });

  it('serves browsable docs and a health check without a key', async () => {
    const docs = await t.app.inject({ method: 'GET', url: '/api/v1/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', database: 'pglite' });
  });

  it('echoes a well-formed request id and replaces a malformed one', async () => {
    const given = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const bad = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': '<script>' },
    });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
