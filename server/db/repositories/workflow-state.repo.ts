import type { Sql } from '../database.ts';
import { encodeJsonText, fromStoredJson, toStoredText } from '../stored-text.ts';

export type StateScope = 'org' | 'invocation';

/** One state key: the org, customer (null for runs without one), scope and scope id name it. */
export interface StateKey {
  readonly customerId: string | null;
  readonly scope: StateScope;
  readonly scopeId: string;
  readonly key: string;
}

// The unique index folds a NULL customer (a run without one) to this constant; matching on the
// same expression finds only rows without a customer for NULL, and uses the index.
const NO_CUSTOMER = `'00000000-0000-0000-0000-000000000000'::uuid`;
const MATCH = `coalesce(customer_id, ${NO_CUSTOMER}) = coalesce($1::uuid, ${NO_CUSTOMER})
  AND scope = $2 AND scope_id = $3 AND key = $4`;

function keyParams(k: StateKey): unknown[] {
  // Keys and values come from workflow code: stored whatever characters they hold.
  return [k.customerId, k.scope, toStoredText(k.scopeId), toStoredText(k.key)];
}

/** The live value of a key (`found: false` when absent or expired at `now`). */
export async function find(
  db: Sql,
  { now, ...k }: StateKey & { now: Date },
): Promise<{ found: boolean; value: unknown }> {
  const rows = await db.query<{ value: unknown }>(
    `SELECT value FROM workflow_state
      WHERE ${MATCH} AND (expires_at IS NULL OR expires_at > $5::timestamptz)`,
    [...keyParams(k), now.toISOString()],
  );
  const row = rows[0];
  return row ? { found: true, value: fromStoredJson(row.value) } : { found: false, value: null };
}

export async function upsert(
  db: Sql,
  {
    orgId,
    json,
    expiresAt,
    now,
    ...k
  }: StateKey & {
    orgId: string;
    /** The value as JSON.stringify wrote it. */
    json: string;
    expiresAt: Date | null;
    now: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO workflow_state (org_id, customer_id, scope, scope_id, key, value, expires_at, updated_at)
     VALUES ($5, $1, $2, $3, $4, $6::jsonb, $7::timestamptz, $8::timestamptz)
     ON CONFLICT (org_id, coalesce(customer_id, ${NO_CUSTOMER}), scope, scope_id, key)
     DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at, updated_at = EXCLUDED.updated_at`,
    [
      ...keyParams(k),
      orgId,
      encodeJsonText(json),
      expiresAt?.toISOString() ?? null,
      now.toISOString(),
    ],
  );
}

/** True when a live (unexpired) key was deleted; an expired one is removed all the same. */
export async function remove(db: Sql, { now, ...k }: StateKey & { now: Date }): Promise<boolean> {
  const rows = await db.query<{ live: boolean }>(
    `DELETE FROM workflow_state WHERE ${MATCH}
     RETURNING (expires_at IS NULL OR expires_at > $5::timestamptz) AS live`,
    [...keyParams(k), now.toISOString()],
  );
  return rows[0]?.live === true;
}

export async function removeExpired(db: Sql, { now }: { now: Date }): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM workflow_state WHERE expires_at <= $1::timestamptz RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [now.toISOString()],
  );
  return rows[0]?.n ?? 0;
}
