import { PGlite, type Transaction } from '@electric-sql/pglite';
import {
  assertChannel,
  KeyedMutex,
  LocalDispatch,
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

const EXPLICIT_TRANSACTION = /^\s*BEGIN\b/i;

/**
 * Embedded Postgres: one connection, transactions serialized by PGlite itself. It is used by
 * one process only (the data directory is locked), so notifications are delivered in-process.
 */
export async function createPgliteDatabase({ dataDir }: { dataDir?: string }): Promise<Database> {
  const pglite = dataDir === undefined ? await PGlite.create() : await PGlite.create({ dataDir });
  const local = new LocalDispatch();
  const mutex = new KeyedMutex();

  return {
    driver: 'pglite',
    async tenant(scope, fn) {
      const pending: { channel: string; payload: string }[] = [];
      const result = await pglite.transaction(async (tx) => {
        await tx.exec(scopeStatement(tenantSettings(scope)));
        return fn({
          ...sqlOf(tx),
          notify(channel, payload) {
            pending.push({ channel: assertChannel(channel), payload });
            return Promise.resolve();
          },
        });
      });
      local.deliver(pending);
      return result;
    },
    batch(settings: BatchSettings, statements: string) {
      return pglite.transaction(async (tx) => {
        const results = await tx.exec(`${scopeStatement(settings)}; ${statements}`);
        return results.slice(1).map((r) => r.rows as Row[]);
      });
    },
    async listen(channel, handlers) {
      const remove = local.add(assertChannel(channel), handlers);
      // Also NOTIFYs issued in SQL (pg_notify, as the job queue's inserts do), as on pg. TxSql.notify
      // sends none here, so nothing arrives twice.
      const unlisten = await pglite.listen(channel, (payload) => handlers.onMessage(payload));
      return {
        connected: () => true,
        close: async () => {
          remove();
          await unlisten();
        },
      };
    },
    withLock(key, fn) {
      // One process owns the embedded database, so an in-process lock is exclusive.
      return mutex.run(key, fn);
    },
    owner(fn) {
      const sql: OwnerSql = {
        ...sqlOf(pglite),
        async exec(text) {
          await pglite.exec(text);
        },
      };
      return fn(sql);
    },
    async executeSql(text, params) {
      if (params !== undefined && params.length > 0) {
        return [(await pglite.query<Row>(text, params as unknown[])).rows];
      }
      // An explicit transaction that fails part-way would leave the only connection in an aborted
      // transaction, poisoning whatever runs next. Inside PGlite's own transaction its ROLLBACK
      // follows at once, before any other query (the inner BEGIN and COMMIT only warn).
      if (EXPLICIT_TRANSACTION.test(text)) {
        return pglite.transaction(async (tx) => (await tx.exec(text)).map((r) => r.rows as Row[]));
      }
      return (await pglite.exec(text)).map((r) => r.rows as Row[]);
    },
    async close() {
      await pglite.close();
    },
  };
}
