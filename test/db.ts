import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { createPgDatabase } from '../server/db/pg-database.ts';
import { createPgliteDatabase } from '../server/db/pglite-database.ts';
import { TEST_DATABASE_URL } from './env.ts';

export type TestDriver = 'pglite' | 'pg';

/** PGlite always; real Postgres too when TEST_DATABASE_URL is set. */
export const TEST_DRIVERS: readonly TestDriver[] = TEST_DATABASE_URL
  ? ['pglite', 'pg']
  : ['pglite'];

export interface TestDatabase {
  db: Database;
  driver: TestDriver;
  /** Connection URL of the fresh database (pg only). */
  url: string | undefined;
  /** Closes the database and drops it (pg). */
  close(): Promise<void>;
}

/** A fresh, empty database: a new PGlite in memory, or a new database on the test server. */
export async function createFreshDatabase(
  driver: TestDriver,
  { poolSize = 4 }: { poolSize?: number } = {},
): Promise<{ url: string | undefined; drop: () => Promise<void>; open: () => Promise<Database> }> {
  if (driver === 'pglite') {
    return { url: undefined, drop: () => Promise.resolve(), open: () => createPgliteDatabase({}) };
  }
  if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
  const name = `weft_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    open: () => Promise.resolve(createPgDatabase({ url: url.toString(), poolSize })),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function createTestDatabase(
  driver: TestDriver,
  options: { poolSize?: number } = {},
): Promise<TestDatabase> {
  const fresh = await createFreshDatabase(driver, options);
  const db = await fresh.open();
  await migrate(db);
  return {
    db,
    driver,
    url: fresh.url,
    async close() {
      await db.close();
      await fresh.drop();
    },
  };
}
