import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  seedUserKey,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import type { ApiKey, CreatedApiKey } from '../../domain/api-key.ts';

describe.each(TEST_DRIVERS)('API keys (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'Keys');
  });
  afterAll(() => t.close());

  it('shows a new key once, stores only its hash, and lists it without the secret', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
      payload: { name: 'ci', kind: 'live' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const created = res.json<CreatedApiKey>();
    expect(created.key).toMatch(/^wk_live_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);

    const list = await t.app.inject({
      method: 'GET',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
    });
    expect(list.body).not.toContain(created.key);
    const listed = list.json<{ data: ApiKey[] }>().data.find((k) => k.id === created.id);
    expect(listed).toMatchObject({
      name: 'ci',
      kind: 'live',
      prefix: created.prefix,
      revokedAt: null,
    });
    expect(listed).not.toHaveProperty('key');

    const stored = await t.database.db.owner((sql) =>
      sql.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE id = $1', [created.id]),
    );
    expect(JSON.stringify(stored)).not.toContain(created.key);
    expect(stored[0]?.['key_hash']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes the mode from the key: a test key acts in test mode and cannot mint or revoke live keys', async () => {
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.testKey),
      payload: { name: 'x', kind: 'live' },
    });
    expect(denied.statusCode).toBe(403);
    const liveId = org.keys.find((k) => k.kind === 'live')?.id;
    const revoke = await t.app.inject({
      method: 'POST',
      url: `/api/v1/api-keys/${liveId}/revoke`,
      headers: withKey(org.testKey),
    });
    expect(revoke.statusCode).toBe(403);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.testKey),
      payload: { name: 'x', kind: 'test' },
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json<CreatedApiKey>().key.startsWith('wk_test_')).toBe(true);
  });

  it('records when a key was last used', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
      payload: { name: 'used', kind: 'test' },
    });
    const created = res.json<CreatedApiKey>();
    expect(created.lastUsedAt).toBeNull();
    await t.app.inject({ method: 'GET', url: '/api/v1/customers', headers: withKey(created.key) });
    await expect
      .poll(async () => {
        const list = await t.app.inject({
          method: 'GET',
          url: '/api/v1/api-keys',
          headers: withKey(org.liveKey),
        });
        return (
          list.json<{ data: ApiKey[] }>().data.find((k) => k.id === created.id)?.lastUsedAt ?? null
        );
      })
      .not.toBeNull();
  });

  it('revokes: the key stops working, stays listed with includeRevoked, and a second revoke is harmless', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
      payload: { name: 'temp', kind: 'test' },
    });
    const created = res.json<CreatedApiKey>();
    const first = await t.app.inject({
      method: 'POST',
      url: `/api/v1/api-keys/${created.id}/revoke`,
      headers: withKey(org.liveKey),
    });
    expect(first.statusCode).toBe(200);
    const revokedAt = first.json<ApiKey>().revokedAt;
    expect(revokedAt).not.toBeNull();
    const second = await t.app.inject({
      method: 'POST',
      url: `/api/v1/api-keys/${created.id}/revoke`,
      headers: withKey(org.liveKey),
    });
    expect(second.json<ApiKey>().revokedAt).toBe(revokedAt);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/v1/customers',
          headers: withKey(created.key),
        })
      ).statusCode,
    ).toBe(401);
    const active = await t.app.inject({
      method: 'GET',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
    });
    expect(active.json<{ data: ApiKey[] }>().data.some((k) => k.id === created.id)).toBe(false);
    const all = await t.app.inject({
      method: 'GET',
      url: '/api/v1/api-keys?includeRevoked=true',
      headers: withKey(org.liveKey),
    });
    expect(all.json<{ data: ApiKey[] }>().data.some((k) => k.id === created.id)).toBe(true);
  });

  it("lets a developer make and revoke keys of their own, not revoke anyone else's; a viewer makes none", async () => {
    const developer = await seedUserKey(t, org, 'developer');
    const call = (method: 'GET' | 'POST', url: string, key: string, payload?: object) =>
      t.app.inject({ method, url, headers: withKey(key), ...(payload && { payload }) });
    expect((await call('GET', '/api/v1/api-keys', developer)).statusCode).toBe(200);
    const own = await call('POST', '/api/v1/api-keys', developer, { name: 'mine', kind: 'test' });
    expect(own.statusCode, own.body).toBe(201);
    const ownId = own.json<CreatedApiKey>().id;
    const ownerKey = await call('POST', '/api/v1/api-keys', org.testKey, {
      name: "the owner's",
      kind: 'test',
    });
    const denied = await call(
      'POST',
      `/api/v1/api-keys/${ownerKey.json<CreatedApiKey>().id}/revoke`,
      developer,
    );
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: { details: { permission: 'api_keys:write' } } });
    const revoked = await call('POST', `/api/v1/api-keys/${ownId}/revoke`, developer);
    expect(revoked.statusCode, revoked.body).toBe(200);
    const viewer = await seedUserKey(t, org, 'viewer');
    const none = await call('POST', '/api/v1/api-keys', viewer, { name: 'x', kind: 'test' });
    expect(none.statusCode).toBe(403);
    expect(none.json()).toMatchObject({ error: { details: { permission: 'api_keys:read' } } });
  });

  it("narrows a key to some of its person's permissions; a narrowed key cannot mint a wider one", async () => {
    const call = (method: 'GET' | 'POST', url: string, key: string, payload?: object) =>
      t.app.inject({ method, url, headers: withKey(key), ...(payload && { payload }) });
    const made = await call('POST', '/api/v1/api-keys', org.testKey, {
      name: 'read connectors, see keys',
      kind: 'test',
      permissions: ['connectors:read', 'api_keys:read'],
    });
    expect(made.statusCode, made.body).toBe(201);
    const narrow = made.json<CreatedApiKey>();
    expect(narrow.permissions).toEqual(['connectors:read', 'api_keys:read']);
    expect((await call('GET', '/api/v1/connectors', narrow.key)).statusCode).toBe(200);
    const refused = await call('GET', '/api/v1/customers', narrow.key);
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ error: { details: { permission: 'customers:read' } } });
    // Asking for more than it holds is refused; asking for nothing in particular copies its list.
    const wider = await call('POST', '/api/v1/api-keys', narrow.key, {
      name: 'wider',
      kind: 'test',
      permissions: ['customers:read'],
    });
    expect(wider.statusCode).toBe(403);
    const copy = await call('POST', '/api/v1/api-keys', narrow.key, { name: 'copy', kind: 'test' });
    expect(copy.statusCode, copy.body).toBe(201);
    expect(copy.json<CreatedApiKey>().permissions?.sort()).toEqual([
      'api_keys:read',
      'connectors:read',
    ]);
    expect(
      (await call('GET', '/api/v1/customers', copy.json<CreatedApiKey>().key)).statusCode,
    ).toBe(403);
  });

  it('never writes a key into a log line or the audit log', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: withKey(org.liveKey),
      payload: { name: 'secretive', kind: 'live' },
    });
    const created = res.json<CreatedApiKey>();
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/customers?api_key=' + created.key,
      headers: withKey(created.key),
    });
    await t.app.inject({ method: 'GET', url: '/api/v1/nope', headers: withKey(created.key) });
    const logText = t.logs.join('');
    expect(logText).toContain('request completed');
    for (const key of [created.key, org.testKey, org.liveKey]) expect(logText).not.toContain(key);
    const audit = await t.app.inject({
      method: 'GET',
      url: '/api/v1/audit-log?limit=200',
      headers: withKey(org.liveKey),
    });
    expect(audit.body).toContain('api_key.create');
    for (const key of [created.key, org.testKey, org.liveKey])
      expect(audit.body).not.toContain(key);
  });
});

describe('rate limiting per key', () => {
  let t: TestApp;
  let org: SeededOrg;

  beforeAll(async () => {
    t = await createTestApp('pglite', { env: { WEFT_RATE_LIMIT_PER_MINUTE: '3' } });
    org = await seedOrg(t, 'Limited');
  });
  afterAll(() => t.close());

  it('answers 429 with Retry-After once a key spends its budget; other keys are unaffected', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      codes.push(
        (
          await t.app.inject({
            method: 'GET',
            url: '/api/v1/customers',
            headers: withKey(org.testKey),
          })
        ).statusCode,
      );
    }
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await t.app.inject({
      method: 'GET',
      url: '/api/v1/customers',
      headers: withKey(org.testKey),
    });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      limited.json<{ error: { code: string; details: { retryAfterSeconds: number } } }>().error,
    ).toMatchObject({ code: 'rate_limited' });
    expect(
      limited.json<{ error: { details: { retryAfterSeconds: number } } }>().error.details
        .retryAfterSeconds,
    ).toBeGreaterThan(0);
    expect(
      (
        await t.app.inject({
          method: 'GET',
          url: '/api/v1/customers',
          headers: withKey(org.liveKey),
        })
      ).statusCode,
    ).toBe(200);
  });
});
