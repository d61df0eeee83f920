import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  rowCounts,
  seedOrg,
  seedUserKey,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import { operatorTenant } from '../../domain/tenant.ts';
import type { Secret } from '../../domain/secret.ts';
import { putSecret, readSecretValue, readSecretValues } from './secrets.service.ts';

interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId: string | null;
  details: Record<string, unknown>;
}

describe.each(TEST_DRIVERS)('org secrets (%s)', (driver) => {
  let t: TestApp;
  let orgA: SeededOrg;
  let orgB: SeededOrg;
  /** Every body the API answered with in this file, to prove no value ever appears. */
  const bodies: string[] = [];
  /** Every value written in this file. */
  const values: string[] = [];

  const fresh = (label: string) => {
    const value = `sv_${label}_${randomBytes(12).toString('hex')}`;
    values.push(value);
    return value;
  };

  const call = async (
    method: 'GET' | 'PUT' | 'DELETE',
    url: string,
    key: string,
    payload?: object,
  ) => {
    const res = await t.app.inject({
      method,
      url,
      headers: withKey(key),
      ...(payload !== undefined && { payload }),
    });
    bodies.push(res.body);
    return res;
  };
  const put = (name: string, value: unknown, key = orgA.testKey) =>
    call('PUT', `/api/v1/secrets/${name}`, key, { value });
  const list = async (key = orgA.testKey) =>
    (await call('GET', '/api/v1/secrets', key)).json<{ data: Secret[] }>().data;
  const read = (org: SeededOrg, name: string) =>
    readSecretValue({
      db: t.database.db,
      keyring: t.keyring,
      orgId: org.organization.id,
      name,
    });

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    orgA = await seedOrg(t, 'Secrets A');
    orgB = await seedOrg(t, 'Secrets B');
  });
  afterAll(() => t.close());

  it('creates (201), replaces (200), lists without values, deletes (204, then 404), auditing each write', async () => {
    const first = fresh('first');
    const created = await put('STRIPE_API_KEY', first);
    expect(created.statusCode).toBe(201);
    const testKeyId = orgA.keys.find((k) => k.kind === 'test')?.id ?? null;
    expect(created.json<Secret>()).toEqual({
      name: 'STRIPE_API_KEY',
      createdAt: expect.any(String) as string,
      updatedAt: expect.any(String) as string,
      createdBy: { type: 'api_key', id: testKeyId },
      updatedBy: { type: 'api_key', id: testKeyId },
    });
    expect(await read(orgA, 'STRIPE_API_KEY')).toBe(first);

    const second = fresh('second');
    const replaced = await put('STRIPE_API_KEY', second, orgA.liveKey);
    expect(replaced.statusCode).toBe(200);
    const liveKeyId = orgA.keys.find((k) => k.kind === 'live')?.id ?? null;
    expect(replaced.json<Secret>()).toMatchObject({
      createdAt: created.json<Secret>().createdAt,
      createdBy: { id: testKeyId },
      updatedBy: { id: liveKeyId },
    });
    expect(await read(orgA, 'STRIPE_API_KEY')).toBe(second);

    const listed = await list();
    expect(listed.map((s) => s.name)).toContain('STRIPE_API_KEY');
    for (const s of listed)
      expect(Object.keys(s).sort()).toEqual(Object.keys(created.json<Secret>()).sort());

    const deleted = await call('DELETE', '/api/v1/secrets/STRIPE_API_KEY', orgA.testKey);
    expect(deleted.statusCode).toBe(204);
    expect(await read(orgA, 'STRIPE_API_KEY')).toBeNull();
    const again = await call('DELETE', '/api/v1/secrets/STRIPE_API_KEY', orgA.testKey);
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await list()).map((s) => s.name)).not.toContain('STRIPE_API_KEY');

    const audit = (await call('GET', '/api/v1/audit-log?limit=200', orgA.liveKey)).json<{
      data: AuditEntry[];
    }>().data;
    const mine = audit.filter((e) => e.resourceType === 'secret');
    expect(mine.map((e) => e.action)).toEqual(['secret.delete', 'secret.update', 'secret.create']);
    for (const e of mine) expect(e.details).toEqual({ name: 'STRIPE_API_KEY' });
    expect(new Set(mine.map((e) => e.resourceId)).size).toBe(1);
  });

  it('gives the workflow runtime the values it asks for, and only those that exist', async () => {
    const a = fresh('a');
    const b = fresh('b');
    expect((await put('RUNTIME_A', a)).statusCode).toBe(201);
    expect((await put('RUNTIME_B', b)).statusCode).toBe(201);
    const db = t.database.db;
    const orgId = orgA.organization.id;
    const some = await readSecretValues({
      db,
      keyring: t.keyring,
      orgId,
      names: ['RUNTIME_A', 'MISSING', 'constructor'],
    });
    expect([...some]).toEqual([['RUNTIME_A', a]]);
    const all = await readSecretValues({ db, keyring: t.keyring, orgId });
    expect(all.get('RUNTIME_A')).toBe(a);
    expect(all.get('RUNTIME_B')).toBe(b);
    expect((await readSecretValues({ db, keyring: t.keyring, orgId, names: [] })).size).toBe(0);
    expect(await read(orgA, '__proto__')).toBeNull();
    expect(await read(orgA, 'toString')).toBeNull();
  });

  it('refuses a bad name, a missing or non-string value and a value over 64 KiB with 422, writing nothing', async () => {
    const before = await rowCounts(t);
    const cases: [string, object][] = [
      ['1STARTS_WITH_DIGIT', { value: 'x' }],
      ['has-dash', { value: 'x' }],
      [`X${'a'.repeat(128)}`, { value: 'x' }],
      ['OK_NAME', {}],
      ['OK_NAME', { value: 42 }],
      ['OK_NAME', { value: 'x', extra: true }],
      ['OK_NAME', { value: 'é'.repeat(32 * 1024 + 1) }],
    ];
    for (const [name, payload] of cases) {
      const res = await call('PUT', `/api/v1/secrets/${name}`, orgA.testKey, payload);
      expect(res.statusCode, `${name} ${JSON.stringify(payload).slice(0, 40)}`).toBe(422);
      expect(res.json()).toMatchObject({ error: { code: 'validation_failed' } });
    }
    const big = await put('BIG', 'x'.repeat(64 * 1024 + 1));
    expect(big.json<{ error: { message: string } }>().error.message).toMatch(
      /value must be at most 65536 bytes/,
    );
    expect(big.body).not.toContain('xxxxxxxx');
    expect(await rowCounts(t)).toEqual(before);
    // The limits themselves are fine.
    expect((await put('AT_THE_LIMIT', 'x'.repeat(64 * 1024))).statusCode).toBe(201);
    const longest = `N${'a'.repeat(127)}`;
    expect((await put(longest, fresh('longest'))).statusCode).toBe(201);
    expect((await call('DELETE', `/api/v1/secrets/${longest}`, orgA.testKey)).statusCode).toBe(204);
  });

  it('needs secrets:read to list and secrets:write to change; a viewer reads nothing, an operator reads and writes nothing', async () => {
    expect((await put('GUARDED', fresh('guarded'))).statusCode).toBe(201);
    const viewer = await seedUserKey(t, orgA, 'viewer');
    const operator = await seedUserKey(t, orgA, 'operator');
    const denied = await call('GET', '/api/v1/secrets', viewer);
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({ error: { details: { permission: 'secrets:read' } } });
    expect((await call('GET', '/api/v1/secrets', operator)).statusCode).toBe(200);
    const before = await rowCounts(t);
    for (const key of [viewer, operator]) {
      const write = await put('GUARDED', fresh('overwrite'), key);
      expect(write.statusCode).toBe(403);
      expect(write.json()).toMatchObject({ error: { details: { permission: 'secrets:write' } } });
      expect((await call('DELETE', '/api/v1/secrets/GUARDED', key)).statusCode).toBe(403);
    }
    expect(await rowCounts(t)).toEqual(before);
  });

  it('refuses a customer-scoped caller: secrets belong to the org', async () => {
    const tenant = {
      ...operatorTenant({ orgId: orgA.organization.id, userId: null, label: 'test' }),
      customerId: '00000000-0000-4000-8000-000000000001',
    };
    await expect(
      putSecret({ db: t.database.db, keyring: t.keyring, tenant, name: 'X', value: 'y' }),
    ).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('another org cannot list, read, overwrite or delete them through the API', async () => {
    const valueA = fresh('only-a');
    expect((await put('SHARED_NAME', valueA)).statusCode).toBe(201);
    expect((await put('ONLY_IN_A', fresh('only-in-a'))).statusCode).toBe(201);

    for (const key of [orgB.testKey, orgB.liveKey]) {
      expect((await list(key)).map((s) => s.name)).not.toContain('ONLY_IN_A');
      const del = await call('DELETE', '/api/v1/secrets/ONLY_IN_A', key);
      expect(del.statusCode).toBe(404);
    }
    expect(await read(orgB, 'ONLY_IN_A')).toBeNull();

    // The same name in B is B's own secret; A's is untouched.
    const valueB = fresh('b-own');
    expect((await put('SHARED_NAME', valueB, orgB.testKey)).statusCode).toBe(201);
    expect(await read(orgA, 'SHARED_NAME')).toBe(valueA);
    expect(await read(orgB, 'SHARED_NAME')).toBe(valueB);
    expect((await call('DELETE', '/api/v1/secrets/SHARED_NAME', orgB.testKey)).statusCode).toBe(
      204,
    );
    expect(await read(orgA, 'SHARED_NAME')).toBe(valueA);
    expect(await read(orgA, 'ONLY_IN_A')).not.toBeNull();

    const auditB = (await call('GET', '/api/v1/audit-log?limit=200', orgB.liveKey)).json<{
      data: AuditEntry[];
    }>().data;
    expect(auditB.some((e) => e.details['name'] === 'ONLY_IN_A')).toBe(false);
  });

  it("as weft_app with the other org's settings, SQL sees, changes and deletes none of them", async () => {
    expect((await put('SQL_PROBE', fresh('sql'))).statusCode).toBe(201);
    const orgIdA = orgA.organization.id;
    const result = await t.database.db.tenant({ orgId: orgB.organization.id }, async (sql) => {
      const [who] = await sql.query<{ role: string }>('SELECT current_user AS role');
      const seen = await sql.query(`SELECT * FROM secrets WHERE org_id = $1`, [orgIdA]);
      const updated = await sql.query(
        `UPDATE secrets SET value_sealed = 'x' WHERE name = 'SQL_PROBE' RETURNING id`,
      );
      const deleted = await sql.query(`DELETE FROM secrets WHERE org_id = $1 RETURNING id`, [
        orgIdA,
      ]);
      return { role: who?.role, seen, updated, deleted };
    });
    expect(result).toEqual({ role: 'weft_app', seen: [], updated: [], deleted: [] });
    await expect(
      t.database.db.tenant({ orgId: orgB.organization.id }, (sql) =>
        sql.query(
          `INSERT INTO secrets (org_id, name, value_sealed, created_by_type, updated_by_type)
           VALUES ($1, 'PLANTED', 'x', 'system', 'system')`,
          [orgIdA],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    expect(await read(orgA, 'SQL_PROBE')).not.toBeNull();
  });

  it('a sealed value copied to another name or org does not open', async () => {
    const value = fresh('copied');
    expect((await put('ORIGINAL', value)).statusCode).toBe(201);
    expect((await put('DECOY', fresh('decoy'))).statusCode).toBe(201);
    expect((await put('DECOY', fresh('decoy-b'), orgB.testKey)).statusCode).toBe(201);
    const [row] = await t.database.db.owner((sql) =>
      sql.query<{ value_sealed: string }>(
        `SELECT value_sealed FROM secrets WHERE org_id = $1 AND name = 'ORIGINAL'`,
        [orgA.organization.id],
      ),
    );
    await t.database.db.owner((sql) =>
      sql.query(`UPDATE secrets SET value_sealed = $1 WHERE name = 'DECOY'`, [row?.value_sealed]),
    );
    await expect(read(orgA, 'DECOY')).rejects.toThrow(/cannot decrypt/);
    await expect(read(orgB, 'DECOY')).rejects.toThrow(/cannot decrypt/);
    expect(await read(orgA, 'ORIGINAL')).toBe(value);
  });
  // Last, over everything this file did.
  it('no value ever appears in a response body, an audit entry, a log line or the table', async () => {
    for (const org of [orgA, orgB]) {
      const audit = await call('GET', '/api/v1/audit-log?limit=200', org.liveKey);
      expect(audit.statusCode).toBe(200);
    }
    const logs = t.logs.join('');
    expect(logs).toContain('request completed');
    const sealedColumn = await t.database.db.owner((sql) =>
      sql.query<{ value_sealed: string }>('SELECT value_sealed FROM secrets'),
    );
    expect(values.length).toBeGreaterThan(5);
    for (const value of values) {
      for (const body of bodies) expect(body).not.toContain(value);
      expect(logs).not.toContain(value);
      for (const row of sealedColumn) expect(row.value_sealed).not.toContain(value);
    }
  });
});
