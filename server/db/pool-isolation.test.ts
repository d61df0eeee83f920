import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';

const TENANTS = 20;
const REQUESTS = 1000;
const POOL_SIZE = 4;

describe.each(TEST_DRIVERS)('tenant isolation under concurrency (%s)', (driver) => {
  let t: TestApp;
  const orgs: SeededOrg[] = [];

  beforeAll(async () => {
    t = await createTestApp(driver, {
      poolSize: POOL_SIZE,
      env: { WEFT_RATE_LIMIT_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' },
    });
    for (let i = 0; i < TENANTS; i++) {
      const org = await seedOrg(t, `Tenant ${i}`);
      orgs.push(org);
      for (let j = 0; j < 3; j++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/customers',
          headers: withKey(org.testKey),
          payload: { name: `t${i}-c${j}`, metadata: { tenant: i } },
        });
        expect(res.statusCode).toBe(201);
      }
    }
  });
  afterAll(() => t.close());

  it(`${REQUESTS} concurrent requests from ${TENANTS} tenants over a pool of ${POOL_SIZE}: 0 foreign rows`, async () => {
    const responses = await Promise.all(
      Array.from({ length: REQUESTS }, (_, n) => {
        const i = n % TENANTS;
        return t.app
          .inject({
            method: 'GET',
            url: '/api/v1/customers',
            headers: withKey((orgs[i] as SeededOrg).testKey),
          })
          .then((res) => ({ i, res }));
      }),
    );
    let foreign = 0;
    let own = 0;
    for (const { i, res } of responses) {
      expect(res.statusCode).toBe(200);
      for (const customer of res.json<{ data: { metadata: { tenant: number } }[] }>().data) {
        if (customer.metadata.tenant === i) own++;
        else foreign++;
      }
    }
    expect(foreign).toBe(0);
    expect(own).toBe(REQUESTS * 3);
  });
});

describe.skipIf(!TEST_DRIVERS.includes('pg'))(
  'the same load with a plain session SET (the mistake this design avoids)',
  () => {
    let t: TestApp;
    const orgIds: string[] = [];

    beforeAll(async () => {
      t = await createTestApp('pg', { poolSize: POOL_SIZE, env: { LOG_LEVEL: 'warn' } });
      for (let i = 0; i < TENANTS; i++) {
        const org = await seedOrg(t, `Naive ${i}`);
        orgIds.push(org.organization.id);
        await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
          sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, 'x')`, [org.organization.id]),
        );
      }
    });
    afterAll(() => t.close());

    it('leaks rows across tenants, which shows the pool test above can fail', async () => {
      const pool = new pg.Pool({ connectionString: t.database.url, max: POOL_SIZE });
      try {
        let foreign = 0;
        await Promise.all(
          Array.from({ length: REQUESTS }, async (_, n) => {
            const orgId = orgIds[n % TENANTS] as string;
            // Session-level SET on whichever connection is free, then the query on whichever is free next.
            await pool.query(
              `SELECT set_config('role', 'weft_app', false), set_config('weft.org_id', $1, false)`,
              [orgId],
            );
            const { rows } = await pool.query<{ org_id: string }>('SELECT org_id FROM customers');
            foreign += rows.filter((r) => r.org_id !== orgId).length;
          }),
        );
        expect(foreign).toBeGreaterThan(0);
      } finally {
        await pool.end();
      }
    });
  },
);
