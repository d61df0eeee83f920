import pg from 'pg';
import {
  scopeStatement,
  tenantSettings,
  type BatchSettings,
  type Database,
  type OwnerSql,
  type Row,
  type Sql,
} from './database.ts';

// Keep bigint counts exact but small ones as numbers; timestamps stay Date objects.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
});

function sqlOf(client: pg.PoolClient): Sql {
  return {
    async query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await client.query(text, params as unknown[] | undefined);
      return result.rows as R[];
    },
  };
}

async function inTransaction<T>(
  pool: pg.Pool,
  opening: string,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`BEGIN; ${opening}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    // A connection whose rollback failed is in an unknown state: destroy it.
    client.release(broken ?? false);
  }
}

export function createPgDatabase({ url, poolSize }: { url: string; poolSize: number }): Database {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'weft' });
  // An idle client error (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);

  return {
    driver: 'pg',
    tenant(scope, fn) {
      return inTransaction(pool, scopeStatement(tenantSettings(scope)), (client) =>
        fn(sqlOf(client)),
      );
    },
    async batch(settings: BatchSettings, statements: string) {
      const results = (await pool.query(
        `${scopeStatement(settings)}; ${statements}`,
      )) as unknown as pg.QueryResult[] | pg.QueryResult;
      const list = Array.isArray(results) ? results : [results];
      return list.slice(1).map((r) => r.rows as Row[]);
    },
    async owner(fn) {
      const client = await pool.connect();
      try {
        const sql: OwnerSql = {
          ...sqlOf(client),
          async exec(text) {
            await client.query(text);
          },
        };
        return await fn(sql);
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}
