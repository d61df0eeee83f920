import { mkdtemp, writeFile, copyFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createFreshDatabase, TEST_DRIVERS } from '../../test/db.ts';
import type { Database } from './database.ts';
import { loadMigrations, migrate } from './migrate.ts';

const MIGRATIONS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

describe.each(TEST_DRIVERS)('migrations (%s)', (driver) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  async function fresh(): Promise<{ open: () => Promise<Database> }> {
    const f = await createFreshDatabase(driver);
    cleanup.push(f.drop);
    return f;
  }

  it('applies every migration once, records it, and is a no-op the second time', async () => {
    const f = await fresh();
    const db = await f.open();
    cleanup.push(() => db.close());
    const all = await loadMigrations();
    const first = await migrate(db);
    expect(first.applied.map((m) => m.version)).toEqual(all.map((m) => m.version));
    const second = await migrate(db);
    expect(second.applied).toEqual([]);
    const rows = await db.owner((sql) =>
      sql.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM weft_migrations ORDER BY version',
      ),
    );
    expect(rows).toEqual(all.map((m) => ({ version: m.version, checksum: m.checksum })));
  });

  it.skipIf(driver !== 'pg')(
    'two processes migrating at once apply each migration exactly once',
    async () => {
      const f = await fresh();
      const dbs = await Promise.all(Array.from({ length: 4 }, () => f.open()));
      cleanup.push(async () => {
        await Promise.all(dbs.map((db) => db.close()));
      });
      const results = await Promise.all(dbs.map((db) => migrate(db)));
      const total = results.reduce((n, r) => n + r.applied.length, 0);
      expect(total).toBe((await loadMigrations()).length);
    },
  );

  it('refuses to run when an applied migration was edited', async () => {
    const f = await fresh();
    const db = await f.open();
    cleanup.push(() => db.close());
    await migrate(db);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-migrations-'));
    for (const file of await readdir(MIGRATIONS))
      await copyFile(path.join(MIGRATIONS, file), path.join(dir, file));
    const [firstFile] = (await readdir(dir)).sort();
    await writeFile(path.join(dir, firstFile ?? ''), '-- edited\n', { flag: 'a' });
    await expect(migrate(db, { dir })).rejects.toThrow(/was changed after it was applied/);
  });

  it('rolls back a failing migration whole and names it', async () => {
    const f = await fresh();
    const db = await f.open();
    cleanup.push(() => db.close());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'weft-migrations-'));
    for (const file of await readdir(MIGRATIONS))
      await copyFile(path.join(MIGRATIONS, file), path.join(dir, file));
    await writeFile(
      path.join(dir, '9999_broken.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n',
    );
    await expect(migrate(db, { dir })).rejects.toThrow(/migration 9999_broken failed/);
    const [row] = await db.owner((sql) =>
      sql.query<{ t: string | null }>(`SELECT to_regclass('public.half_done')::text AS t`),
    );
    expect(row?.t).toBeNull();
  });
});
