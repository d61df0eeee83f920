import {
  APP_ROLE,
  assertSettingValue,
  type Database,
  type TenantScope,
  type TxSql,
} from './database.ts';

class Rollback extends Error {
  readonly result: unknown;
  constructor(result: unknown) {
    super('rolled back');
    this.result = result;
  }
}

function refuse(what: string): never {
  throw new Error(`${what} cannot take part in a rolled-back run`);
}

/**
 * Runs `fn` against a database whose every transaction (tenant or owner) is a savepoint of one
 * transaction that is rolled back at the end: `fn` sees its own writes, as it would for real,
 * and nothing of it is ever committed or notified. The dry run of a write.
 *
 * Work that cannot be rolled back with it is refused: raw batches and the job queue's SQL.
 * Transactions are serialized, as on PGlite; `fn` must not open one inside another (PGlite
 * would deadlock on that too).
 */
export async function withRollback<T>({
  db,
  scope,
  fn,
}: {
  db: Database;
  scope: TenantScope;
  fn: (db: Database) => Promise<T>;
}): Promise<T> {
  try {
    await db.tenant(scope, async (outer) => {
      let savepoints = 0;
      let tail: Promise<unknown> = Promise.resolve();
      const nested = <R>(settings: string, params: unknown[], body: () => Promise<R>) => {
        const run = tail.then(async () => {
          const name = `dry_run_${++savepoints}`;
          await outer.query(`SAVEPOINT ${name}`);
          try {
            await outer.query(settings, params);
            const result = await body();
            await outer.query(`RELEASE SAVEPOINT ${name}`);
            return result;
          } catch (error) {
            await outer.query(`ROLLBACK TO SAVEPOINT ${name}`);
            throw error;
          }
        });
        tail = run.catch(() => undefined);
        return run;
      };
      const sql: TxSql = {
        query: (text, params) => outer.query(text, params),
        notify: (channel, payload) => outer.notify(channel, payload),
      };
      const rolledBack: Database = {
        driver: db.driver,
        tenant: (inner, body) =>
          nested(
            `SELECT set_config('role', '${APP_ROLE}', true), set_config('weft.org_id', $1, true), set_config('weft.customer_id', $2, true)`,
            [
              assertSettingValue('uuid', inner.orgId),
              inner.customerId ? assertSettingValue('uuid', inner.customerId) : '',
            ],
            () => body(sql),
          ),
        // The session user is the owner: dropping the role for the savepoint is acting as it.
        owner: (body) =>
          nested(
            `SELECT set_config('role', 'none', true), set_config('weft.org_id', $1, true), set_config('weft.customer_id', $1, true)`,
            [''],
            () => body({ ...sql, exec: () => refuse('multi-statement owner SQL') }),
          ),
        listen: (channel, handlers) => db.listen(channel, handlers),
        withLock: (key, body) => db.withLock(key, body),
        batch: () => refuse('a settings batch'),
        executeSql: () => refuse('the job queue'),
        close: () => refuse('closing the database'),
      };
      throw new Rollback(await fn(rolledBack));
    });
  } catch (error) {
    if (error instanceof Rollback) return error.result as T;
    throw error;
  }
  throw new Error('unreachable: a rolled-back run always throws');
}
