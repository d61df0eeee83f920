import { copyFile, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createFreshDatabase, TEST_DRIVERS } from '../../test/db.ts';
import { hashKey } from '../modules/api-keys/key-format.ts';
import { authenticateApiKey } from '../modules/auth/auth.service.ts';
import { emailKey } from '../modules/people/secrets.ts';
import { migrate } from './migrate.ts';

const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

/**
 * An installation from before people and roles: its `member` becomes a `developer` (34
 * permissions) whose existing key keeps working, and every person can be found by a sign-in.
 */
describe.each(TEST_DRIVERS)('the people and roles migration (%s)', (driver) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it('turns members into developers, keeps their keys working, and indexes emails for sign-in', async () => {
    const fresh = await createFreshDatabase(driver);
    cleanup.push(fresh.drop);
    const db = await fresh.open();
    cleanup.push(() => db.close());
    const before = await mkdtemp(path.join(os.tmpdir(), 'weft-migrations-'));
    const files = (await readdir(MIGRATIONS)).filter((f) => f.endsWith('.sql')).sort();
    for (const f of files.filter((f) => f < '0016_')) {
      await copyFile(path.join(MIGRATIONS, f), path.join(before, f));
    }
    await migrate(db, { dir: before });

    const orgId = '0c4b5a1e-8d5f-4a43-9a57-2d2d6f0b0001';
    const memberId = '0c4b5a1e-8d5f-4a43-9a57-2d2d6f0b0002';
    const key = `wk_live_${'m'.repeat(43)}`;
    await db.owner(async (sql) => {
      await sql.query('INSERT INTO org_registry (org_id) VALUES ($1)', [orgId]);
      await sql.query("INSERT INTO organizations (id, name) VALUES ($1, 'Old')", [orgId]);
      await sql.query("INSERT INTO users (org_id, id, email) VALUES ($1, $2, 'Member@Old.test')", [
        orgId,
        memberId,
      ]);
      await sql.query("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'member')", [
        orgId,
        memberId,
      ]);
      await sql.query(
        `INSERT INTO api_keys (org_id, user_id, name, kind, prefix, key_hash)
         VALUES ($1, $2, 'old', 'live', 'wk_live_mmmm', $3)`,
        [orgId, memberId, hashKey(key)],
      );
    });

    await migrate(db);
    const rows = await db.owner((sql) =>
      sql.query<{ role: string; email_key: string }>(
        `SELECT m.role, u.email_key FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.org_id = $1`,
        [orgId],
      ),
    );
    expect(rows).toEqual([{ role: 'developer', email_key: emailKey('member@old.test') }]);
    const tenant = await authenticateApiKey({ db, key, requestId: null });
    expect(tenant.permissions.size).toBe(34);
    expect(tenant.permissions.has('people:read')).toBe(false);
    expect(tenant.permissions.has('connectors:create')).toBe(true);
  });
});
