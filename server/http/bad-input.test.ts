import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  rowCounts,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { issues?: { path: string; message: string }[] };
    requestId: string;
  };
}

describe.each(TEST_DRIVERS)('bad input is refused clearly and writes nothing (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let before: Record<string, number>;

  beforeAll(async () => {
    t = await createTestApp(driver, {
      env: { WEFT_BODY_LIMIT_BYTES: String(64 * 1024), WEFT_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    org = await seedOrg(t, 'Inputs');
    before = await rowCounts(t);
  });
  afterAll(() => t.close());

  const cases: {
    name: string;
    status: number;
    code: string;
    request: () => InjectOptions;
    message?: RegExp;
  }[] = [
    {
      name: 'malformed JSON',
      status: 400,
      code: 'invalid_json',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey, { 'content-type': 'application/json' }),
        payload: '{"name": "x",',
      }),
    },
    {
      name: 'empty JSON body',
      status: 400,
      code: 'invalid_json',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey, { 'content-type': 'application/json' }),
        payload: '',
      }),
    },
    {
      name: 'a JSON array instead of an object',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: [{ name: 'x' }],
      }),
    },
    {
      name: 'wrong types',
      status: 422,
      code: 'validation_failed',
      message: /\/name/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: { name: 42, metadata: 'no' },
      }),
    },
    {
      name: 'unknown fields',
      status: 422,
      code: 'validation_failed',
      message: /Unrecognized key.*orgId/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: { name: 'x', orgId: org.organization.id },
      }),
    },
    {
      name: 'missing required field',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: {},
      }),
    },
    {
      name: 'metadata over 16 KiB',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: { name: 'x', metadata: { blob: 'a'.repeat(20_000) } },
      }),
    },
    {
      name: 'a body over the limit',
      status: 413,
      code: 'payload_too_large',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: { name: 'x', metadata: { blob: 'a'.repeat(200_000) } },
      }),
    },
    {
      name: 'a non-JSON content type',
      status: 415,
      code: 'unsupported_media_type',
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey, { 'content-type': 'text/plain' }),
        payload: 'name=x',
      }),
    },
    {
      name: 'an id that is not a UUID',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'PATCH',
        url: "/api/v1/customers/1'%20OR%201=1",
        headers: withKey(org.testKey),
        payload: { name: 'x' },
      }),
    },
    {
      name: 'an empty update',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'PATCH',
        url: `/api/v1/customers/${crypto.randomUUID()}`,
        headers: withKey(org.testKey),
        payload: {},
      }),
    },
    {
      name: 'a limit out of range',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'GET',
        url: '/api/v1/customers?limit=100000',
        headers: withKey(org.testKey),
      }),
    },
    {
      name: 'a forged cursor',
      status: 400,
      code: 'bad_request',
      request: () => ({
        method: 'GET',
        url: '/api/v1/customers?cursor=bm9wZQ',
        headers: withKey(org.testKey),
      }),
    },
    {
      name: 'an unknown key kind on create',
      status: 422,
      code: 'validation_failed',
      request: () => ({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: withKey(org.liveKey),
        payload: { name: 'x', kind: 'admin' },
      }),
    },
    {
      name: 'no API key',
      status: 401,
      code: 'unauthorized',
      message: /x-fastn-api-key/,
      request: () => ({ method: 'POST', url: '/api/v1/customers', payload: { name: 'x' } }),
    },
    {
      name: 'a malformed API key',
      status: 401,
      code: 'unauthorized',
      message: /malformed/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey("wk_test_' OR 1=1 --"),
        payload: { name: 'x' },
      }),
    },
    {
      name: 'an unknown API key',
      status: 401,
      code: 'unauthorized',
      message: /unknown API key/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(`wk_live_${'A'.repeat(43)}`),
        payload: { name: 'x' },
      }),
    },
    {
      name: 'a name with NUL',
      status: 400,
      code: 'bad_request',
      message: /body: \/name contains U\+0000/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: { name: 'a\u0000b' },
      }),
    },
    {
      name: 'a name with an unpaired surrogate',
      status: 400,
      code: 'bad_request',
      message: /body: \/name contains an unpaired surrogate \(U\+D800\)/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey, { 'content-type': 'application/json' }),
        payload: '{"name": "a\\ud800"}',
      }),
    },
    {
      name: 'a metadata key with NUL',
      status: 400,
      code: 'bad_request',
      message: /body: \/metadata has a key that contains U\+0000/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey),
        payload: { name: 'x', metadata: { 'k\u0000': 1 } },
      }),
    },
    {
      name: 'a workflow name with NUL',
      status: 400,
      code: 'bad_request',
      message: /body: \/name contains U\+0000/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/workflows',
        headers: withKey(org.testKey),
        payload: {
          name: 'w\u0000',
          slug: 'w',
          source: 'export default async function () { return 1; }',
        },
      }),
    },
    {
      name: 'a NUL in the query string',
      status: 400,
      code: 'bad_request',
      message: /querystring: \/cursor contains U\+0000/,
      request: () => ({
        method: 'GET',
        url: '/api/v1/customers?cursor=%00',
        headers: withKey(org.testKey),
      }),
    },
    {
      name: 'a NUL in a path parameter',
      status: 400,
      code: 'bad_request',
      message: /params: \/id contains U\+0000/,
      request: () => ({
        method: 'PATCH',
        url: '/api/v1/customers/%00',
        headers: withKey(org.testKey),
        payload: { name: 'x' },
      }),
    },
    {
      name: 'a NUL in a cdm/suggest field',
      status: 400,
      code: 'bad_request',
      message: /body: \/connector contains U\+0000/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/cdm/suggest',
        headers: withKey(org.testKey),
        payload: { connector: 'a\u0000', action: 'b' },
      }),
    },
    {
      name: 'JSON nested 10,000 levels deep',
      status: 400,
      code: 'bad_request',
      message: /nests deeper than 128 levels/,
      request: () => ({
        method: 'POST',
        url: '/api/v1/customers',
        headers: withKey(org.testKey, { 'content-type': 'application/json' }),
        payload: `{"name": "x", "metadata": {"a": ${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
      }),
    },
    {
      name: 'a path segment over 256 characters',
      status: 414,
      code: 'uri_too_long',
      request: () => ({
        method: 'PATCH',
        url: `/api/v1/customers/${'a'.repeat(300)}`,
        headers: withKey(org.testKey),
        payload: { name: 'x' },
      }),
    },
    {
      name: 'a malformed percent-encoding in the path',
      status: 400,
      code: 'bad_request',
      message: /percent-encoding/,
      request: () => ({
        method: 'PATCH',
        url: '/api/v1/customers/%E0%A4%A',
        headers: withKey(org.testKey),
        payload: { name: 'x' },
      }),
    },
    {
      name: 'an unknown route',
      status: 404,
      code: 'not_found',
      request: () => ({ method: 'GET', url: '/api/v1/nope', headers: withKey(org.testKey) }),
    },
  ];

  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const res = await t.app.inject(c.request());
      expect(res.statusCode, res.body).toBe(c.status);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      const body = res.json<ErrorBody>();
      expect(body.error.code).toBe(c.code);
      expect(body.error.message.length).toBeGreaterThan(5);
      expect(body.error.requestId).toBe(res.headers['x-request-id']);
      if (c.message) expect(body.error.message).toMatch(c.message);
      if (c.code === 'validation_failed')
        expect(body.error.details?.issues?.length).toBeGreaterThan(0);
    });
  }

  it('a revoked key is refused at once, with a message that says so', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
      payload: { name: 'short-lived', kind: 'test' },
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json<{ id: string; key: string }>();
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(key) }))
        .statusCode,
    ).toBe(200);
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/api/v1/api-keys/${id}/revoke`,
      headers: withKey(org.liveKey),
    });
    expect(revoked.statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/customers',
      headers: withKey(key),
      payload: { name: 'x' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json<ErrorBody>().error.message).toMatch(/revoked/);
    before = await rowCounts(t);
  });

  it('none of the rejected requests wrote anything', async () => {
    for (const c of cases) await t.app.inject(c.request());
    expect(await rowCounts(t)).toEqual(before);
  });
});
