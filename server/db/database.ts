/**
 * The one database interface over two drivers: `pg` (DATABASE_URL) and PGlite (embedded).
 *
 * Application queries run only through `tenant()`: a transaction that switches to the non-owner
 * role `weft_app` and sets the tenant with SET LOCAL semantics (`set_config(…, true)`), so
 * row-level security applies and nothing survives the transaction on a pooled connection.
 */

import { isUuid } from '../domain/common.ts';

export type Row = Record<string, unknown>;

export interface Sql {
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

/** A transaction's handle: queries, plus notifications delivered only if it commits. */
export interface TxSql extends Sql {
  /** NOTIFY on commit: to every listening process, and to this process's listeners at once. */
  notify(channel: string, payload: string): Promise<void>;
}

export interface Listener {
  /** False while delivery may be interrupted (a lost LISTEN connection): do not trust caches. */
  connected(): boolean;
  close(): Promise<void>;
}

export interface ListenHandlers {
  onMessage(payload: string): void;
  /** Delivery was interrupted: anything cached from past messages may be stale. */
  onReset(): void;
}

export interface TenantScope {
  readonly orgId: string;
  /** Set for customer-scoped callers; rows of other customers become invisible. */
  readonly customerId?: string | null;
}

/** Settings for a one-round-trip batch; values must pass `assertSettingValue`. */
export interface BatchSettings {
  readonly orgId?: string;
  readonly customerId?: string;
  readonly keyHash?: string;
  readonly oauthState?: string;
  /** A webhook trigger's id: the public hook endpoint looks the trigger up by it alone. */
  readonly hookId?: string;
}

export interface OwnerSql extends Sql {
  /** Multi-statement SQL without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export type Driver = 'pg' | 'pglite';

export interface Database {
  readonly driver: Driver;
  /** A transaction as `weft_app` with the tenant set; commits when `fn` resolves. */
  tenant<T>(scope: TenantScope, fn: (sql: TxSql) => Promise<T>): Promise<T>;
  /** Subscribes to notifications sent with `TxSql.notify` by any process on this database. */
  listen(channel: string, handlers: ListenHandlers): Promise<Listener>;
  /**
   * Runs parameterless statements in one round trip as `weft_app`, in one implicit transaction
   * with the given settings, and returns each statement's rows. For the hot authentication path;
   * every value inlined into `statements` must be validated by the caller as strictly as
   * `assertSettingValue` does.
   */
  batch(settings: BatchSettings, statements: string): Promise<Row[][]>;
  /**
   * Runs `fn` while holding a lock named `key`, exclusive across every process on this database
   * (a session advisory lock on pg; released if the process dies). `fn` runs its own transactions.
   */
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** As the connecting (owner) role, without a tenant: migrations and system tables only. */
  owner<T>(fn: (sql: OwnerSql) => Promise<T>): Promise<T>;
  /**
   * As the owner role, without a tenant, for system components that bring their own SQL (the job
   * queue). With parameters, `text` is one statement; without, it may hold several, sent in one
   * round trip, and an explicit `BEGIN … COMMIT` in it is rolled back whole if a statement fails.
   * Returns each statement's rows, in order. On pg it runs on a pool of its own, so queue
   * polling never waits behind, or delays, application work.
   */
  executeSql(text: string, params?: readonly unknown[]): Promise<Row[][]>;
  close(): Promise<void>;
}

export const APP_ROLE = 'weft_app';

const HEX = /^[0-9a-f]{64}$/;

export { isUuid };

/** Values inlined into SQL text; a strict charset rules out injection. */
const STATE = /^[A-Za-z0-9_-]{43}$/;

export function assertSettingValue(kind: 'uuid' | 'hex' | 'state', value: string): string {
  const ok = kind === 'uuid' ? isUuid(value) : kind === 'hex' ? HEX.test(value) : STATE.test(value);
  if (!ok) throw new Error(`refusing to set a malformed ${kind} tenant setting`);
  return value;
}

/** The statement that opens every application transaction. */
export function scopeStatement(settings: BatchSettings): string {
  const parts = [`set_config('role', '${APP_ROLE}', true)`];
  if (settings.orgId !== undefined) {
    parts.push(`set_config('weft.org_id', '${assertSettingValue('uuid', settings.orgId)}', true)`);
  }
  if (settings.customerId !== undefined) {
    parts.push(
      `set_config('weft.customer_id', '${assertSettingValue('uuid', settings.customerId)}', true)`,
    );
  }
  if (settings.keyHash !== undefined) {
    parts.push(
      `set_config('weft.key_hash', '${assertSettingValue('hex', settings.keyHash)}', true)`,
    );
  }
  if (settings.oauthState !== undefined) {
    parts.push(
      `set_config('weft.oauth_state', '${assertSettingValue('state', settings.oauthState)}', true)`,
    );
  }
  if (settings.hookId !== undefined) {
    parts.push(
      `set_config('weft.hook_id', '${assertSettingValue('uuid', settings.hookId)}', true)`,
    );
  }
  return `SELECT ${parts.join(', ')}`;
}

export function tenantSettings(scope: TenantScope): BatchSettings {
  return scope.customerId
    ? { orgId: scope.orgId, customerId: scope.customerId }
    : { orgId: scope.orgId };
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertChannel(channel: string): string {
  if (!CHANNEL.test(channel)) throw new Error(`invalid notification channel ${channel}`);
  return channel;
}

/** A keyed mutex for one process. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** In-process delivery of committed notifications (the same process must not wait for the server). */
export class LocalDispatch {
  readonly #handlers = new Map<string, Set<ListenHandlers>>();

  add(channel: string, handlers: ListenHandlers): () => void {
    const set = this.#handlers.get(channel) ?? new Set<ListenHandlers>();
    set.add(handlers);
    this.#handlers.set(channel, set);
    return () => set.delete(handlers);
  }

  deliver(notifications: readonly { channel: string; payload: string }[]): void {
    for (const n of notifications) {
      for (const h of this.#handlers.get(n.channel) ?? []) h.onMessage(n.payload);
    }
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505'
  );
}

/** Network errors of a lost or refused connection, by Node's `code`. */
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * True when the database could not be reached or dropped the connection (a restart, a failover,
 * a network fault), as opposed to a statement that failed: 57P01–57P03 (shutdown, crash,
 * starting up), class 08 (connection exception), refused or reset sockets, and pg's own
 * "Connection terminated" and "not queryable" errors. The same request should succeed once the
 * database is back. Looks through `cause` and aggregated errors.
 */
export function isConnectionError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 4) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (code === '57P01' || code === '57P02' || code === '57P03') return true;
    if (/^08[0-9A-Z]{3}$/.test(code) || CONNECTION_ERRNOS.has(code)) return true;
  }
  if (
    typeof message === 'string' &&
    /^Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect/.test(
      message,
    )
  ) {
    return true;
  }
  if (Array.isArray(errors) && errors.some((e) => isConnectionError(e, depth + 1))) return true;
  return isConnectionError(cause, depth + 1);
}

/**
 * Runs a write again while it meets a database outage (a restart, a failover: connection-class
 * errors), for up to `withinMs` with a growing pause, so a few seconds without the database do
 * not fail work that was done. Only for writes that are safe to repeat (fenced, idempotent);
 * any other error, or the outage outlasting the grace, is thrown.
 */
export async function throughOutage<T>(write: () => Promise<T>, withinMs = 20_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
    try {
      return await write();
    } catch (error) {
      if (!isConnectionError(error) || Date.now() + wait > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

export function isForeignKeyViolation(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23503'
  );
}
