import { createHash } from 'node:crypto';
import pg from 'pg';
import {
  assertChannel,
  KeyedMutex,
  LocalDispatch,
  scopeStatement,
  assertSettingValue,
  APP_ROLE,
  type BatchSettings,
  type Database,
  type Listener,
  type ListenHandlers,
  type OwnerSql,
  type Row,
  type Sql,
  type TxSql,
} from './database.ts';

// Keep bigint counts exact but small ones as numbers; timestamps stay Date objects.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
});

const statementNames = new Map<string, string>();

/**
 * Every parameterized query runs as a named prepared statement, so Postgres parses and plans it
 * once per connection instead of once per call (planning under RLS costs more than running a
 * small query). All application transactions run as the same role, so the plans are shared.
 */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `w_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    statementNames.set(text, name);
  }
  return name;
}

function sqlOf(client: pg.PoolClient): Sql {
  return {
    async query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]> {
      const result =
        params === undefined || params.length === 0
          ? await client.query(text)
          : await client.query({ name: statementName(text), text, values: params as unknown[] });
      return result.rows as R[];
    },
  };
}

const SCOPE_SQL = `SELECT set_config('role', '${APP_ROLE}', true), set_config('weft.org_id', $1, true), set_config('weft.customer_id', $2, true)`;

/**
 * A tenant transaction on a pipelined connection: BEGIN and the tenant settings are sent
 * without waiting, so they travel with the transaction's first query (one round trip fewer
 * per request). If either fails, the queries behind it fail too and the whole is rolled back.
 */
async function inTransaction<T>(
  pool: pg.Pool,
  scope: { orgId: string; customerId: string | null },
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const opening = Promise.all([
    client.query('BEGIN'),
    client.query({
      name: 'w_scope',
      text: SCOPE_SQL,
      values: [scope.orgId, scope.customerId ?? ''],
    }),
  ]);
  // Observed below; this only keeps an early failure from being reported as unhandled.
  opening.catch(() => undefined);
  try {
    let result: T;
    try {
      result = await fn(client);
    } catch (error) {
      // A failed opening explains the queries that failed behind it: report that first.
      await opening;
      throw error;
    }
    await opening;
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

/**
 * A dedicated LISTEN connection that reconnects with backoff. While it is down, `connected()`
 * is false and handlers were told to reset: notifications sent meanwhile are lost.
 */
function listenWithReconnect({
  url,
  channel,
  handlers,
}: {
  url: string;
  channel: string;
  handlers: ListenHandlers;
}): Promise<Listener> {
  let client: pg.Client | null = null;
  let up = false;
  let closed = false;
  let delay = 250;
  let timer: NodeJS.Timeout | undefined;

  const down = (c: pg.Client) => {
    // One lost connection can report itself more than once ('error', 'end', a failed connect):
    // only the first report schedules a reconnect, so that one listener never holds two.
    if (c !== client) return;
    client = null;
    if (up) handlers.onReset();
    up = false;
    void discard(c);
    if (!closed) {
      timer = setTimeout(() => void connect(), delay);
      timer.unref();
      delay = Math.min(delay * 2, 30_000);
    }
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url, application_name: 'weft-listen' });
    client = c;
    c.on('error', () => down(c));
    c.on('end', () => down(c));
    c.on('notification', (msg) => {
      if (msg.channel === channel && msg.payload !== undefined) handlers.onMessage(msg.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${channel}`);
      if (closed) {
        await discard(c);
        return;
      }
      if (c !== client) return;
      up = true;
      delay = 250;
    } catch {
      down(c);
    }
  };

  return connect().then(() => ({
    connected: () => up,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      up = false;
      const c = client;
      client = null;
      if (c) await discard(c);
    },
  }));
}

/**
 * Ends a client we no longer use. A dead connection can still report errors after this (a reset
 * socket), and an 'error' event nobody listens to ends the process: keep one listener.
 */
function discard(c: pg.Client): Promise<void> {
  c.removeAllListeners();
  c.on('error', () => undefined);
  return c.end().catch(() => undefined);
}

/**
 * A database restart ends every connection, and an 'error' event nobody listens to ends the
 * process. pg-pool listens only while a client is idle; a checked-out client (a transaction, a
 * held advisory lock) needs its own listener. Its query in flight fails instead, and the pool
 * drops it when it is released (it is no longer queryable).
 */
function survivingRestarts(pool: pg.Pool): pg.Pool {
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

export function createPgDatabase({ url, poolSize }: { url: string; poolSize: number }): Database {
  // Tenant transactions run on pipelined connections; everything else (auth batches, owner
  // work, migrations) on a small plain pool.
  const pool = survivingRestarts(
    new pg.Pool({ connectionString: url, max: Math.min(poolSize, 4), application_name: 'weft' }),
  );
  const tenantPool = survivingRestarts(
    new pg.Pool({ connectionString: url, max: poolSize, application_name: 'weft', pipeline: true }),
  );
  const local = new LocalDispatch();
  const listeners = new Set<Listener>();
  const mutex = new KeyedMutex();
  let lockPool: pg.Pool | undefined;
  const createLockPool = () =>
    survivingRestarts(
      new pg.Pool({ connectionString: url, max: 4, application_name: 'weft-lock' }),
    );

  let systemPool: pg.Pool | undefined;

  return {
    driver: 'pg',
    async tenant(scope, fn) {
      const pending: { channel: string; payload: string }[] = [];
      assertSettingValue('uuid', scope.orgId);
      if (scope.customerId) assertSettingValue('uuid', scope.customerId);
      const result = await inTransaction(
        tenantPool,
        { orgId: scope.orgId, customerId: scope.customerId ?? null },
        (client) => {
          const tx: TxSql = {
            ...sqlOf(client),
            async notify(channel, payload) {
              await client.query({
                name: 'w_notify',
                text: 'SELECT pg_notify($1, $2)',
                values: [assertChannel(channel), payload],
              });
              pending.push({ channel, payload });
            },
          };
          return fn(tx);
        },
      );
      local.deliver(pending);
      return result;
    },
    async batch(settings: BatchSettings, statements: string) {
      const results = (await pool.query(
        `${scopeStatement(settings)}; ${statements}`,
      )) as unknown as pg.QueryResult[] | pg.QueryResult;
      const list = Array.isArray(results) ? results : [results];
      return list.slice(1).map((r) => r.rows as Row[]);
    },
    async listen(channel, handlers) {
      assertChannel(channel);
      const removeLocal = local.add(channel, handlers);
      const remote = await listenWithReconnect({ url, channel, handlers });
      const listener: Listener = {
        connected: () => remote.connected(),
        async close() {
          removeLocal();
          listeners.delete(listener);
          await remote.close();
        },
      };
      listeners.add(listener);
      return listener;
    },
    async withLock(key, fn) {
      // Same-process callers queue here first, so they do not each hold a pooled connection.
      return mutex.run(key, async () => {
        // Locks live on their own small pool so that lock holders, whose work needs further
        // connections, can never take the whole main pool and wait on themselves.
        lockPool ??= createLockPool();
        const client = await lockPool.connect();
        let broken: Error | undefined;
        try {
          await client.query({
            name: 'w_lock',
            text: 'SELECT pg_advisory_lock(hashtextextended($1, 0))',
            values: [key],
          });
          try {
            return await fn();
          } finally {
            try {
              await client.query({
                name: 'w_unlock',
                text: 'SELECT pg_advisory_unlock(hashtextextended($1, 0))',
                values: [key],
              });
            } catch (error) {
              // A lock we cannot release must not go back to the pool with the connection.
              broken = error as Error;
            }
          }
        } finally {
          client.release(broken ?? false);
        }
      });
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
    async executeSql(text, params) {
      if (systemPool === undefined) {
        systemPool = survivingRestarts(
          new pg.Pool({ connectionString: url, max: poolSize, application_name: 'weft-system' }),
        );
      }
      // Unnamed statements: system SQL inlines names and ids, so naming would grow the cache.
      const results = (await systemPool.query(
        text,
        params === undefined || params.length === 0 ? undefined : (params as unknown[]),
      )) as unknown as pg.QueryResult | pg.QueryResult[];
      return Array.isArray(results) ? results.map((r) => r.rows as Row[]) : [results.rows as Row[]];
    },
    async close() {
      await Promise.all([...listeners].map((l) => l.close()));
      await systemPool?.end();
      await lockPool?.end();
      await tenantPool.end();
      await pool.end();
    },
  };
}
