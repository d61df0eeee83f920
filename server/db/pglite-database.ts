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
    listen(channel, handlers) {
      const remove = local.add(assertChannel(channel), handlers);
      return Promise.resolve({
        connected: () => true,
        close: () => {
          remove();
          return Promise.resolve();
        },
      });
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
    async close() {
      await pglite.close();
    },
  };
}
