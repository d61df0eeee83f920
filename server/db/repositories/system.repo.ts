/** Statements that touch no table: liveness, advisory locks, savepoints. */
import type { OwnerSql, Sql } from '../database.ts';

/** One round trip to the database; throws if it cannot answer. */
export async function ping(db: Sql): Promise<void> {
  await db.query('SELECT 1');
}

/** A session advisory lock: hold it on one connection (an owner callback) and release it there. */
export async function advisoryLock(db: OwnerSql, { key }: { key: number }): Promise<void> {
  await db.query('SELECT pg_advisory_lock($1)', [key]);
}

export async function advisoryUnlock(db: OwnerSql, { key }: { key: number }): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1)', [key]);
}

// A savepoint's name is inlined into the statement: an identifier only.
const SAVEPOINT_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * Runs `fn` inside a savepoint of the caller's transaction. If `fn` (or the release) throws, its
 * writes are rolled back and the error is returned, so the transaction goes on; an error of the
 * savepoint statements themselves is thrown, as the transaction cannot go on.
 */
export async function inSavepoint<T>(
  db: Sql,
  { name }: { name: string },
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  if (!SAVEPOINT_NAME.test(name)) throw new Error('refusing a malformed savepoint name');
  await db.query(`SAVEPOINT ${name}`);
  try {
    const value = await fn();
    await db.query(`RELEASE SAVEPOINT ${name}`);
    return { ok: true, value };
  } catch (error) {
    await db.query(`ROLLBACK TO SAVEPOINT ${name}`);
    return { ok: false, error };
  }
}
