import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  scopeStatement,
  tenantSettings,
  type BatchSettings,
  type Database,
  type OwnerSql,
  type Row,
  type Sql,
} from './database.ts';

function sqlOf(tx: Transaction | PGlite): Sql {
  return {
    async query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result = await tx.query<R>(text, params as unknown[] | undefined);
      return result.rows;
    },
  };
}

/** Embedded Postgres: one connection, transactions serialized by PGlite itself. */
export async function createPgliteDatabase({ dataDir }: { dataDir?: string }): Promise<Database> {
  const pglite = dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir });

  return {
    driver: 'pglite',
    tenant(scope, fn) {
      return pglite.transaction(async (tx) => {
        await tx.exec(scopeStatement(tenantSettings(scope)));
        return fn(sqlOf(tx));
      });
    },
    batch(settings: BatchSettings, statements: string) {
      return pglite.transaction(async (tx) => {
        const results = await tx.exec(`${scopeStatement(settings)}; ${statements}`);
        return results.slice(1).map((r) => r.rows as Row[]);
      });
    },
    async owner(fn) {
      const sql: OwnerSql = {
        ...sqlOf(pglite),
        async exec(text) {
          await pglite.exec(text);
        },
      };
      return fn(sql);
    },
    async close() {
      await pglite.close();
    },
  };
}
