import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any constant works; it only has to be the same for every Weft process on one database.
const MIGRATION_LOCK_KEY = 0x77656674;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file ${file} must be named NNNN_description.sql`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    migrations.push({
      version: Number(match[1]),
      name: match[2] ?? file,
      sql,
      checksum: createHash('sha256').update(sql).digest('hex'),
    });
  }
  return migrations;
}

export interface MigrateResult {
  applied: Migration[];
  current: number;
}

/**
 * Applies pending migrations in order, each in its own transaction, under an advisory lock so
 * that two processes starting at once apply each migration exactly once. An applied migration
 * whose file changed is an error: migrations are forward-only.
 */
export async function migrate(
  db: Database,
  { onApply, dir }: { onApply?: (m: Migration) => void; dir?: string } = {},
): Promise<MigrateResult> {
  const migrations = await loadMigrations(dir);
  return db.owner(async (sql) => {
    await sql.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await sql.exec(`CREATE TABLE IF NOT EXISTS weft_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const rows = await sql.query<{ version: number; checksum: string; name: string }>(
        'SELECT version, checksum, name FROM weft_migrations ORDER BY version',
      );
      const done = new Map(rows.map((r) => [r.version, r]));
      for (const m of migrations) {
        const prior = done.get(m.version);
        if (prior && prior.checksum !== m.checksum) {
          throw new Error(
            `migration ${m.version}_${m.name} was changed after it was applied; add a new migration instead`,
          );
        }
      }
      const applied: Migration[] = [];
      for (const m of migrations) {
        if (done.has(m.version)) continue;
        await sql.exec('BEGIN');
        try {
          await sql.exec(m.sql);
          await sql.query(
            'INSERT INTO weft_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [m.version, m.name, m.checksum],
          );
          await sql.exec('COMMIT');
        } catch (error) {
          await sql.exec('ROLLBACK');
          throw new Error(`migration ${m.version}_${m.name} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        applied.push(m);
        onApply?.(m);
      }
      const current = migrations.at(-1)?.version ?? 0;
      return { applied, current };
    } finally {
      await sql.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  });
}
