import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import type { Database } from './database.ts';
import { createPgDatabase } from './pg-database.ts';
import { createPgliteDatabase } from './pglite-database.ts';
import { acquireDataDirLock } from './data-dir-lock.ts';

export interface OpenedDatabase {
  db: Database;
  /** Human-readable location for the start banner (no credentials). */
  location: string;
}

export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'postgres (DATABASE_URL)';
  }
}

/** `pg` when DATABASE_URL is set, else embedded PGlite in `<dataDir>/data`. */
export async function openDatabase(config: Config): Promise<OpenedDatabase> {
  if (config.databaseUrl !== undefined) {
    return {
      db: createPgDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize }),
      location: describeUrl(config.databaseUrl),
    };
  }
  const dataDir = path.join(config.dataDir, 'data');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const release = await acquireDataDirLock(config.dataDir);
  const db = await createPgliteDatabase({ dataDir });
  return {
    db: {
      ...db,
      async close() {
        await db.close();
        await release();
      },
    },
    location: `${dataDir} (embedded Postgres)`,
  };
}
