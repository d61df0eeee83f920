import { isForeignKeyViolation, isUuid, type Database } from '../../db/database.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import * as stateRepo from '../../db/repositories/workflow-state.repo.ts';
import type { StateScope } from '../../db/repositories/workflow-state.repo.ts';
import { AppError } from '../../errors.ts';

/**
 * Durable key/value state for workflow code. `org` scope lives across runs (of one customer, or
 * of runs without a customer); `invocation` scope belongs to one execution (`scopeId` is its id)
 * and expires after a day unless told otherwise. The customer is part of the transaction's tenant
 * scope, so row-level security, not only the WHERE clause, keeps customers apart.
 */

export type { StateScope };
export const STATE_KEY_MAX_CHARS = 256;
export const STATE_VALUE_MAX_BYTES = 256 * 1024;
export const INVOCATION_DEFAULT_TTL_SECONDS = 24 * 3600;
const TTL_MAX_SECONDS = 10 * 365 * 24 * 3600;

export interface StateAddress {
  db: Database;
  orgId: string;
  /** The run's customer; null for runs without one. */
  customerId: string | null;
  scope: StateScope;
  /** '' for the org scope, the execution id for the invocation scope. */
  scopeId: string;
  key: string;
  /** The clock, for expiry (tests). */
  now?: Date;
}

function invalid(message: string, field: string): AppError {
  return new AppError('validation_failed', message, { field });
}

function checkAddress({ orgId, customerId, scope, scopeId, key }: StateAddress): void {
  if (!isUuid(orgId)) throw invalid('orgId must be a UUID', 'orgId');
  if (customerId !== null && !isUuid(customerId))
    throw invalid('customerId must be a UUID or null', 'customerId');
  if (scope !== 'org' && scope !== 'invocation')
    throw invalid("scope must be 'org' or 'invocation'", 'scope');
  if (scope === 'org' && scopeId !== '')
    throw invalid("org scope takes scopeId '' (state shared across runs)", 'scopeId');
  if (scope === 'invocation' && (scopeId === '' || scopeId.length > 256))
    throw invalid('invocation scope needs the execution id as scopeId', 'scopeId');
  if (key.length === 0 || key.length > STATE_KEY_MAX_CHARS)
    throw invalid(`state key must be 1–${STATE_KEY_MAX_CHARS} characters`, 'key');
}

export async function getState(
  address: StateAddress,
): Promise<{ found: true; value: unknown } | { found: false; value: null }> {
  checkAddress(address);
  const { db, orgId, customerId, scope, scopeId, key, now = new Date() } = address;
  const result = await db.tenant({ orgId, customerId }, (sql) =>
    stateRepo.find(sql, { customerId, scope, scopeId, key, now }),
  );
  return result.found ? { found: true, value: result.value } : { found: false, value: null };
}

/** Creates or replaces a key. `ttlSeconds` sets an expiry; invocation keys default to a day. */
export async function setState({
  value,
  ttlSeconds,
  ...address
}: StateAddress & { value: unknown; ttlSeconds?: number }): Promise<{ expiresAt: string | null }> {
  checkAddress(address);
  const { db, orgId, customerId, scope, scopeId, key, now = new Date() } = address;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined)
    throw invalid(
      'state value must be JSON (objects, arrays, strings, numbers, booleans, null)',
      'value',
    );
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > STATE_VALUE_MAX_BYTES) {
    throw new AppError(
      'validation_failed',
      `state value is ${bytes} bytes as JSON; the limit is ${STATE_VALUE_MAX_BYTES}. Store less, or split it over several keys`,
      { field: 'value', bytes, maxBytes: STATE_VALUE_MAX_BYTES },
    );
  }
  const ttl = ttlSeconds ?? (scope === 'invocation' ? INVOCATION_DEFAULT_TTL_SECONDS : undefined);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= TTL_MAX_SECONDS))
    throw invalid(`ttlSeconds must be a whole number from 1 to ${TTL_MAX_SECONDS}`, 'ttlSeconds');
  const expiresAt = ttl === undefined ? null : new Date(now.getTime() + ttl * 1000);
  try {
    await db.tenant({ orgId, customerId }, (sql) =>
      stateRepo.upsert(sql, { orgId, customerId, scope, scopeId, key, json, expiresAt, now }),
    );
  } catch (error) {
    if (isForeignKeyViolation(error))
      throw new AppError('not_found', `no customer ${customerId ?? ''} in this org`, {
        field: 'customerId',
      });
    throw error;
  }
  return { expiresAt: expiresAt?.toISOString() ?? null };
}

/** Removes a key; true when it existed and had not expired. */
export async function deleteState(address: StateAddress): Promise<boolean> {
  checkAddress(address);
  const { db, orgId, customerId, scope, scopeId, key, now = new Date() } = address;
  return db.tenant({ orgId, customerId }, (sql) =>
    stateRepo.remove(sql, { customerId, scope, scopeId, key, now }),
  );
}

/** Deletes expired keys of one org, or of every org (one transaction each); returns how many. */
export async function purgeExpiredState({
  db,
  orgId,
  now = new Date(),
}: {
  db: Database;
  orgId?: string;
  now?: Date;
}): Promise<number> {
  const orgIds = orgId === undefined ? await db.owner((sql) => listRegisteredOrgs(sql)) : [orgId];
  let purged = 0;
  for (const id of orgIds) {
    purged += await db.tenant({ orgId: id }, (sql) => stateRepo.removeExpired(sql, { now }));
  }
  return purged;
}
