import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../test/db.ts';
import { createOrganization } from '../modules/orgs/orgs.service.ts';
import { auditTenancy, tenantTables as listTenantTables } from './catalog-audit.ts';
import { APP_ROLE, type OwnerSql } from './database.ts';

/** Runs `fn` as the application role inside a transaction that is rolled back. */
async function asAppRole<T>(sql: OwnerSql, setup: string, fn: () => Promise<T>): Promise<T> {
  await sql.exec(`BEGIN; SET LOCAL ROLE ${APP_ROLE}; ${setup}`);
  try {
    return await fn();
  } finally {
    await sql.exec('ROLLBACK');
  }
}

/** Runs `fn` inside a transaction that is rolled back, as the owner. */
async function scratch<T>(sql: OwnerSql, fn: () => Promise<T>): Promise<T> {
  await sql.exec('BEGIN');
  try {
    return await fn();
  } finally {
    await sql.exec('ROLLBACK');
  }
}

describe.each(TEST_DRIVERS)('row-level security catalog audit (%s)', (driver) => {
  let t: TestDatabase;
  let orgA: string;
  let tenantTables: string[];

  beforeAll(async () => {
    t = await createTestDatabase(driver);
    // Data in every tenant table, for two orgs, so "no rows" means something.
    const a = await createOrganization({
      db: t.db,
      name: 'Audit A',
      ownerEmail: 'a@a.test',
      actorLabel: 'test',
    });
    await createOrganization({
      db: t.db,
      name: 'Audit B',
      ownerEmail: 'b@b.test',
      actorLabel: 'test',
    });
    orgA = a.organization.id;
    await t.db.tenant({ orgId: orgA }, (sql) =>
      sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, 'c')`, [orgA]),
    );
    tenantTables = await t.db.owner(listTenantTables);
  });
  afterAll(() => t.close());

  it('the migrated schema has no tenancy problems', async () => {
    expect(tenantTables).toEqual(
      expect.arrayContaining([
        'organizations',
        'users',
        'memberships',
        'customers',
        'api_keys',
        'audit_log',
      ]),
    );
    expect(await t.db.owner(auditTenancy)).toEqual([]);
  });

  it('a new table without RLS fails the audit', async () => {
    const problems = await t.db.owner((sql) =>
      scratch(sql, async () => {
        await sql.exec('CREATE TABLE scratch_things (org_id uuid NOT NULL, id uuid PRIMARY KEY)');
        return auditTenancy(sql);
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'table scratch_things: row-level security is not enabled',
        'table scratch_things: row-level security is not forced',
        'table scratch_things: no policy scopes rows by weft_current_org()',
        'unique index scratch_things_pkey on scratch_things(id): spans tenants',
      ]),
    );
  });

  it('a view without security_invoker, a SECURITY DEFINER reader and a global UNIQUE fail the audit', async () => {
    const problems = await t.db.owner((sql) =>
      scratch(sql, async () => {
        await sql.exec(`
          CREATE VIEW all_customers AS SELECT * FROM customers;
          CREATE VIEW safe_customers WITH (security_invoker = true) AS SELECT * FROM customers;
          CREATE FUNCTION leak() RETURNS bigint LANGUAGE sql SECURITY DEFINER AS $$ SELECT count(*) FROM customers $$;
          CREATE UNIQUE INDEX customers_name_global ON customers (name);
          ALTER ROLE ${APP_ROLE} BYPASSRLS;`);
        return auditTenancy(sql);
      }),
    );
    expect(problems).toEqual([
      `role ${APP_ROLE} has BYPASSRLS`,
      'view all_customers: lacks security_invoker, so it reads as its owner and bypasses RLS',
      'function leak: SECURITY DEFINER and reads tenant table customers',
      'unique index customers_name_global on customers(name): spans tenants',
    ]);
  });

  it('the application role is not superuser, cannot bypass RLS and cannot create objects', async () => {
    const [role] = await t.db.owner((sql) =>
      sql.query<{
        rolsuper: boolean;
        rolbypassrls: boolean;
        rolcreaterole: boolean;
        rolcreatedb: boolean;
      }>(
        'SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1',
        [APP_ROLE],
      ),
    );
    expect(role).toEqual({
      rolsuper: false,
      rolbypassrls: false,
      rolcreaterole: false,
      rolcreatedb: false,
    });
    const [schema] = await t.db.owner((sql) =>
      sql.query<{ ok: boolean }>(`SELECT has_schema_privilege($1, 'public', 'CREATE') AS ok`, [
        APP_ROLE,
      ]),
    );
    expect(schema?.ok).toBe(false);
    await expect(
      t.db.tenant({ orgId: orgA }, (sql) => sql.query('CREATE TABLE sneaky (id int)')),
    ).rejects.toThrow(/permission denied/);
    await expect(
      t.db.tenant({ orgId: orgA }, (sql) =>
        sql.query('ALTER TABLE customers DISABLE ROW LEVEL SECURITY'),
      ),
    ).rejects.toThrow(/must be owner/);
  });

  it("treats an unset tenant ('' after a reset, or never set) as no tenant: no rows, no writes", async () => {
    await t.db.owner(async (sql) => {
      // A setting that was set and then reset reads as '' (not NULL) for the rest of the session.
      await sql.exec(`SELECT set_config('weft.org_id', '${orgA}', false); RESET weft.org_id;`);
      const [setting] = await sql.query<{ v: string | null }>(
        `SELECT current_setting('weft.org_id', true) AS v`,
      );
      expect(setting?.v).toBe('');
      for (const setup of ['', `SELECT set_config('weft.org_id', '', true)`]) {
        await asAppRole(sql, setup, async () => {
          for (const name of tenantTables) {
            const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${name}`);
            expect(row?.n, `${name} visible with setup "${setup}"`).toBe(0);
          }
        });
        await expect(
          asAppRole(sql, setup, () =>
            sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, 'intruder')`, [orgA]),
          ),
        ).rejects.toThrow(/row-level security/);
        await expect(
          asAppRole(sql, setup, () => sql.query(`UPDATE customers SET name = 'x' RETURNING id`)),
        ).resolves.toEqual([]);
      }
      await sql.exec('RESET ALL');
    });
    // The data is there: the zero counts above were the policies at work.
    const [count] = await t.db.tenant({ orgId: orgA }, (sql) =>
      sql.query<{ n: number }>('SELECT count(*)::int AS n FROM customers'),
    );
    expect(count?.n).toBe(1);
  });

  it('a customer-scoped transaction sees and changes only its own customer', async () => {
    const [c1, c2] = await t.db.tenant({ orgId: orgA }, async (sql) => [
      (
        await sql.query<{ id: string }>(
          `INSERT INTO customers (org_id, name) VALUES ($1, 'one') RETURNING id`,
          [orgA],
        )
      )[0]?.id ?? '',
      (
        await sql.query<{ id: string }>(
          `INSERT INTO customers (org_id, name) VALUES ($1, 'two') RETURNING id`,
          [orgA],
        )
      )[0]?.id ?? '',
    ]);
    const seen = await t.db.tenant({ orgId: orgA, customerId: c1 }, (sql) =>
      sql.query<{ id: string }>('SELECT id FROM customers'),
    );
    expect(seen.map((r) => r.id)).toEqual([c1]);
    await expect(
      t.db.tenant({ orgId: orgA, customerId: c1 }, (sql) =>
        sql.query(`UPDATE customers SET name = 'x' WHERE id = $1 RETURNING id`, [c2]),
      ),
    ).resolves.toEqual([]);
  });
});
