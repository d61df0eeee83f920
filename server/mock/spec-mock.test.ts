import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSpec } from '../import/load.ts';
import { startSpecMock, type SpecMock } from './spec-mock.ts';

const noFetch = () => Promise.reject(new Error('no network in this test'));

async function loaded(path: string) {
  const spec = await loadSpec({
    source: { kind: 'path', path: new URL(path, import.meta.url).pathname },
    fetchText: noFetch,
  });
  return spec.document;
}

/** A small spec with every kind of rule the mock enforces. */
const SHOP = {
  openapi: '3.0.3',
  info: { title: 'Shop', version: '1' },
  servers: [{ url: 'https://api.shop.test/v2' }],
  security: [{ key: [] }],
  components: {
    securitySchemes: {
      key: { type: 'apiKey', in: 'header', name: 'X-Shop-Key' },
      qkey: { type: 'apiKey', in: 'query', name: 'token' },
      ckey: { type: 'apiKey', in: 'cookie', name: 'sid' },
      basic: { type: 'http', scheme: 'basic' },
      oauth: {
        type: 'oauth2',
        flows: { clientCredentials: { tokenUrl: 'https://x.test/t', scopes: {} } },
      },
    },
    schemas: {
      Order: {
        type: 'object',
        required: ['id', 'total'],
        properties: { id: { type: 'string' }, total: { type: 'number', minimum: 0 } },
      },
    },
  },
  paths: {
    '/orders': {
      get: {
        parameters: [
          { name: 'status', in: 'query', required: true, schema: { type: 'string' } },
          { name: 'X-Tenant', in: 'header', required: true, schema: { type: 'string' } },
        ],
        responses: {
          '200': {
            description: 'ok',
            content: {
              'application/json': {
                schema: { type: 'array', items: { $ref: '#/components/schemas/Order' } },
                example: [{ id: 'o1', total: 12.5 }],
              },
            },
          },
        },
      },
      post: {
        security: [{ oauth: [] }],
        parameters: [{ name: 'notify', in: 'query', schema: { type: 'boolean' } }],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
        },
        responses: {
          '201': {
            description: 'made',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Order' } } },
          },
        },
      },
    },
    '/orders/{id}': {
      get: {
        security: [{ qkey: [] }, { ckey: [], basic: [] }],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'ok',
            content: {
              'application/json': {
                schema: { $ref: '#/components/schemas/Order' },
                examples: { first: { value: { id: 'named', total: 1 } } },
              },
            },
          },
        },
      },
    },
    '/health': { get: { security: [], responses: { '204': { description: 'up' } } } },
  },
};

describe('spec mock', () => {
  let mock: SpecMock;
  beforeAll(async () => {
    mock = await startSpecMock({ document: structuredClone(SHOP) });
  });
  afterAll(async () => {
    await mock.close();
  });
  const call = (path: string, init: RequestInit = {}) => fetch(`${mock.origin}${path}`, init);
  const good = { 'x-shop-key': 'anything', 'x-tenant': 't1' };

  it('serves under the server base path, from the spec example', async () => {
    expect(mock.url).toBe(`${mock.origin}/v2`);
    const res = await call('/v2/orders?status=open', { headers: good });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-weft-mock-source')).toBe('example');
    expect(await res.json()).toEqual([{ id: 'o1', total: 12.5 }]);
    expect(mock.requests.at(-1)).toMatchObject({ operation: 'GET /orders', status: 200 });
  });

  it('serves named examples, and faker data (deterministic) when there is none', async () => {
    const named = await call('/v2/orders/7?token=t');
    expect(await named.json()).toEqual({ id: 'named', total: 1 });
    const made = async () =>
      call('/v2/orders', {
        method: 'POST',
        headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'a', total: 1 }),
      });
    const first = await made();
    expect(first.status).toBe(201);
    expect(first.headers.get('x-weft-mock-source')).toBe('faker');
    const body = (await first.json()) as { id: unknown; total: unknown };
    expect(typeof body.id).toBe('string');
    expect(typeof body.total).toBe('number');
    const again = await startSpecMock({ document: structuredClone(SHOP) });
    try {
      const other = await fetch(`${again.url}/orders`, {
        method: 'POST',
        headers: { authorization: 'Bearer y', 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'b', total: 2 }),
      });
      expect(await other.json()).toEqual(body);
    } finally {
      await again.close();
    }
    const health = await call('/v2/health');
    expect(health.status).toBe(204);
  });

  it('enforces auth placement: header name, query, cookie+basic, bearer', async () => {
    const wrongHeader = await call('/v2/orders?status=open', {
      headers: { 'x-api-key': 'k', 'x-tenant': 't' },
    });
    expect(wrongHeader.status).toBe(401);
    expect(wrongHeader.headers.get('x-weft-mock-error')).toBe('auth');
    expect(wrongHeader.headers.get('www-authenticate')).toContain('name="X-Shop-Key"');
    expect(((await wrongHeader.json()) as { error: { message: string } }).error.message).toMatch(
      /header 'X-Shop-Key'/,
    );
    const empty = await call('/v2/orders?status=open', {
      headers: { 'x-shop-key': ' ', 'x-tenant': 't' },
    });
    expect(empty.status).toBe(401);
    expect((await call('/v2/orders/1')).status).toBe(401);
    expect((await call('/v2/orders/1', { headers: { cookie: 'sid=s' } })).status).toBe(401);
    const cookieAndBasic = await call('/v2/orders/1', {
      headers: { cookie: 'a=1; sid=s', authorization: 'Basic dTpw' },
    });
    expect(cookieAndBasic.status).toBe(200);
    const bearerAsKey = await call('/v2/orders', {
      method: 'POST',
      headers: { 'x-shop-key': 'k', 'content-type': 'application/json' },
      body: '{"id":"a","total":1}',
    });
    expect(bearerAsKey.status).toBe(401);
    expect(bearerAsKey.headers.get('www-authenticate')).toBe('Bearer realm="mock"');
  });

  it('answers 404 for unknown paths and paths outside the base path, 405 for methods', async () => {
    const noPath = await call('/v2/customers', { headers: good });
    expect(noPath.status).toBe(404);
    expect(noPath.headers.get('x-weft-mock-error')).toBe('path');
    const outside = await call('/v1/orders?status=open', { headers: good });
    expect(outside.status).toBe(404);
    expect(outside.headers.get('x-weft-mock-error')).toBe('base_url');
    const method = await call('/v2/orders/1', { method: 'DELETE', headers: good });
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET');
    expect(method.headers.get('x-weft-mock-error')).toBe('method');
  });

  it('enforces required parameters and bodies, and where parameters go', async () => {
    const noQuery = await call('/v2/orders', { headers: good });
    expect(noQuery.status).toBe(400);
    expect(noQuery.headers.get('x-weft-mock-error')).toBe('input_schema');
    expect(await noQuery.text()).toContain("missing required query parameter 'status'");
    const noHeader = await call('/v2/orders?status=x', { headers: { 'x-shop-key': 'k' } });
    expect(await noHeader.text()).toContain("header parameter 'X-Tenant'");
    const inBody = await call('/v2/orders', {
      method: 'GET',
      headers: { ...good, 'content-type': 'application/json' },
    });
    expect(inBody.status).toBe(400);
    const queryInBody = await fetch(`${mock.origin}/v2/orders?status=open`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'a', total: 1, status: 'open' }),
    });
    // `status` is a query parameter of GET /orders, not of POST /orders: no complaint there.
    expect(queryInBody.status).toBe(201);
    const notifyInBody = await call('/v2/orders', {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'a', total: 1, notify: true }),
    });
    expect(notifyInBody.status).toBe(400);
    expect(notifyInBody.headers.get('x-weft-mock-error')).toBe('parameter_location');
    expect(await notifyInBody.text()).toContain("query parameter 'notify' was sent in the body");
    const noBody = await call('/v2/orders', {
      method: 'POST',
      headers: { authorization: 'Bearer t' },
    });
    expect(noBody.status).toBe(400);
    expect(await noBody.text()).toContain('needs a request body');
    const missingField = await call('/v2/orders?total=3', {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'a' }),
    });
    expect(missingField.status).toBe(400);
    expect(missingField.headers.get('x-weft-mock-error')).toBe('parameter_location');
    const notJson = await call('/v2/orders', {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(notJson.headers.get('x-weft-mock-error')).toBe('input_schema');
  });
});

describe('spec mock on real specs', () => {
  it('petstore v3: serves lists, checks the scheme each operation names', async () => {
    const mock = await startSpecMock({
      document: await loaded('../../evals/data/specs/petstore-v3.yaml'),
    });
    try {
      expect(mock.basePath).toBe('/api/v3');
      const ok = await fetch(`${mock.url}/pet/findByStatus?status=available`, {
        headers: { authorization: 'Bearer t' },
      });
      expect(ok.status).toBe(200);
      expect(Array.isArray(await ok.json())).toBe(true);
      const keyOnly = await fetch(`${mock.url}/pet/findByStatus`, { headers: { api_key: 'k' } });
      expect(keyOnly.status).toBe(401);
      const pet = await fetch(`${mock.url}/pet/10`, { headers: { api_key: 'k' } });
      expect(pet.status).toBe(200);
      expect(await pet.json()).toMatchObject({ name: expect.any(String) });
    } finally {
      await mock.close();
    }
  });

  it('swagger 2: serves under basePath', async () => {
    const mock = await startSpecMock({
      document: await loaded('../../evals/data/specs/petstore-v2.yaml'),
    });
    try {
      expect(mock.basePath).toBe('/v2');
      const res = await fetch(`${mock.url}/store/inventory`, { headers: { api_key: 'k' } });
      expect(res.status).toBe(200);
      const wrong = await fetch(`${mock.url}/store/inventory`, { headers: { 'x-api-key': 'k' } });
      expect(wrong.status).toBe(401);
    } finally {
      await mock.close();
    }
  });
});
