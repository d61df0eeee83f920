import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import { tenantTables } from '../db/catalog-audit.ts';
import { APP_ROLE } from '../db/database.ts';

interface Tenancy {
  org: SeededOrg;
  customers: { id: string; externalId: string }[];
  keyIds: string[];
}

/** How to probe each route that takes another tenant's id; a new route must be added here. */
const ID_ROUTES: Record<string, { resource: 'customer' | 'apiKey'; payload?: unknown }> = {
  'GET /api/v1/customers/{id}': { resource: 'customer' },
  'PATCH /api/v1/customers/{id}': { resource: 'customer', payload: { name: 'hijacked' } },
  'DELETE /api/v1/customers/{id}': { resource: 'customer' },
  'POST /api/v1/api-keys/{id}/revoke': { resource: 'apiKey' },
};

describe.each(TEST_DRIVERS)('cross-tenant isolation through every route (%s)', (driver) => {
  let t: TestApp;
  const tenants: Tenancy[] = [];

  beforeAll(async () => {
    t = await createTestApp(driver, { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    for (const name of ['Org A', 'Org B']) {
      const org = await seedOrg(t, name);
      const customers = [];
      for (const n of [1, 2]) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/customers',
          headers: withKey(org.liveKey),
          payload: { name: `${name} customer ${n}`, externalId: `shared-ext-${n}` },
        });
        expect(res.statusCode).toBe(201);
        customers.push(res.json<{ id: string; externalId: string }>());
      }
      tenants.push({ org, customers, keyIds: org.keys.map((k) => k.id) });
    }
  });
  afterAll(() => t.close());

  it('the probe table covers every route that takes an id', () => {
    const doc = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const withId = Object.entries(doc.paths)
      .filter(([path]) => path.includes('{id}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(withId.sort()).toEqual(Object.keys(ID_ROUTES).sort());
  });

  for (const [route, probe] of Object.entries(ID_ROUTES)) {
    it(`${route} with another tenant's ids answers 404 and changes nothing`, async () => {
      const [method, path] = route.split(' ') as [string, string];
      for (const [self, other] of [
        [tenants[0], tenants[1]],
        [tenants[1], tenants[0]],
      ] as [Tenancy, Tenancy][]) {
        const targets =
          probe.resource === 'customer' ? other.customers.map((c) => c.id) : other.keyIds;
        for (const id of targets) {
          for (const key of [self.org.testKey, self.org.liveKey]) {
            const request: InjectOptions = {
              method: method,
              url: path.replace('{id}', id),
              headers: withKey(key),
              ...(probe.payload !== undefined && { payload: probe.payload as object }),
            };
            const res = await t.app.inject(request);
            expect(res.statusCode, `${route} ${res.body}`).toBe(404);
            expect(res.json<{ error: { code: string } }>().error.code).toBe('not_found');
            expect(res.body).not.toContain(other.org.organization.name);
          }
        }
      }
      // The other tenant's resources are intact.
      for (const tenant of tenants) {
        for (const c of tenant.customers) {
          const res = await t.app.inject({
            method: 'GET',
            url: `/api/v1/customers/${c.id}`,
            headers: withKey(tenant.org.liveKey),
          });
          expect(res.statusCode).toBe(200);
          expect(res.json<{ name: string }>().name).not.toBe('hijacked');
        }
        const keys = await t.app.inject({
          method: 'GET',
          url: '/api/v1/api-keys',
          headers: withKey(tenant.org.liveKey),
        });
        expect(
          keys
            .json<{ data: { revokedAt: string | null }[] }>()
            .data.every((k) => k.revokedAt === null),
        ).toBe(true);
      }
    });
  }

  it('list routes show only the caller’s rows, even when filtered by another tenant’s values', async () => {
    for (const [self, other] of [
      [tenants[0], tenants[1]],
      [tenants[1], tenants[0]],
    ] as [Tenancy, Tenancy][]) {
      const headers = withKey(self.org.testKey);
      const list = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers?limit=200',
        headers,
      });
      expect(
        list
          .json<{ data: { id: string }[] }>()
          .data.map((c) => c.id)
          .sort(),
      ).toEqual(self.customers.map((c) => c.id).sort());
      // Same external id in both orgs: each sees its own.
      const byExt = await t.app.inject({
        method: 'GET',
        url: '/api/v1/customers?externalId=shared-ext-1',
        headers,
      });
      expect(byExt.json<{ data: { id: string }[] }>().data.map((c) => c.id)).toEqual([
        self.customers[0]?.id,
      ]);
      const keys = await t.app.inject({
        method: 'GET',
        url: '/api/v1/api-keys?includeRevoked=true',
        headers,
      });
      const keyIds = keys.json<{ data: { id: string }[] }>().data.map((k) => k.id);
      expect(keyIds.some((id) => other.keyIds.includes(id))).toBe(false);
      expect(keyIds).toEqual(expect.arrayContaining(self.keyIds));
      const audit = await t.app.inject({
        method: 'GET',
        url: '/api/v1/audit-log?limit=200',
        headers,
      });
      const resources = audit
        .json<{ data: { resourceId: string | null }[] }>()
        .data.map((e) => e.resourceId);
      expect(resources.length).toBeGreaterThan(0);
      expect(
        resources.some(
          (r) =>
            r !== null &&
            [
              ...other.keyIds,
              ...other.customers.map((c) => c.id),
              other.org.organization.id,
            ].includes(r),
        ),
      ).toBe(false);
    }
  });

  it('raw SQL as the application role with no tenant set reads nothing and cannot write', async () => {
    const orgA = tenants[0]?.org.organization.id ?? '';
    await t.database.db.owner(async (sql) => {
      await sql.exec(`BEGIN; SET LOCAL ROLE ${APP_ROLE};`);
      try {
        for (const table of await tenantTables(sql)) {
          expect(await sql.query(`SELECT * FROM ${table}`), table).toEqual([]);
        }
      } finally {
        await sql.exec('ROLLBACK');
      }
      await sql.exec(`BEGIN; SET LOCAL ROLE ${APP_ROLE};`);
      await expect(
        sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, 'x')`, [orgA]),
      ).rejects.toThrow(/row-level security/);
      await sql.exec('ROLLBACK');
    });
  });
});
