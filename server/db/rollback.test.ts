import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../test/db.ts';
import { tableChecksums } from '../../test/table-checksums.ts';
import { createOrganization } from '../modules/orgs/orgs.service.ts';
import { withRollback } from './rollback.ts';

describe.each(TEST_DRIVERS)('withRollback (%s)', (driver) => {
  let t: TestDatabase;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestDatabase(driver);
    orgId = (
      await createOrganization({
        db: t.db,
        name: 'Rollback',
        ownerEmail: 'owner@rollback.test',
        actorLabel: 'test',
      })
    ).organization.id;
  });
  afterAll(() => t.close());

  it('sees its own tenant and owner writes, and keeps none of them', async () => {
    const before = await tableChecksums(t.db);
    const seen = await withRollback({
      db: t.db,
      scope: { orgId },
      fn: async (db) => {
        await db.tenant({ orgId }, (sql) =>
          sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, 'Ghost')`, [orgId]),
        );
        await db.owner((sql) => sql.query(`UPDATE organizations SET name = 'Renamed'`));
        // A failed transaction is undone alone: the call goes on with what came before it.
        await expect(
          db.tenant({ orgId }, (sql) =>
            sql.query(`INSERT INTO customers (org_id, name) VALUES ($1, NULL)`, [orgId]),
          ),
        ).rejects.toThrow();
        return db.tenant({ orgId }, async (sql) => ({
          customers: await sql.query<{ name: string }>('SELECT name FROM customers'),
          org: await sql.query<{ name: string }>('SELECT name FROM organizations'),
          role: await sql.query<{ role: string }>('SELECT current_user AS role'),
        }));
      },
    });
    expect(seen).toEqual({
      customers: [{ name: 'Ghost' }],
      org: [{ name: 'Renamed' }],
      role: [{ role: 'weft_app' }],
    });
    expect(await tableChecksums(t.db)).toEqual(before);
  });

  it('refuses work that could not be rolled back with it', async () => {
    await expect(
      withRollback({
        db: t.db,
        scope: { orgId },
        fn: (db) => db.executeSql('SELECT 1'),
      }),
    ).rejects.toThrow(/cannot take part in a rolled-back run/);
    // The database is fine afterwards.
    expect(
      await t.db.tenant({ orgId }, (sql) => sql.query<{ n: number }>('SELECT 1 AS n')),
    ).toEqual([{ n: 1 }]);
  });
});
