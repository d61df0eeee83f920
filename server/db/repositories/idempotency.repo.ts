import type { Sql } from '../database.ts';

export interface IdempotencyRecord {
  readonly operation: string;
  readonly requestHash: string;
  readonly status: 'pending' | 'done';
  readonly response: Record<string, unknown> | null;
  readonly claimToken: string | null;
  /** The claim was not renewed within the lease: its caller is gone. */
  readonly lapsed: boolean;
}

interface IdempotencyRow {
  readonly operation: string;
  readonly request_hash: string;
  readonly status: 'pending' | 'done';
  readonly response: Record<string, unknown> | null;
  readonly claim_token: string | null;
  readonly lapsed: boolean;
}

/** Claims a key for a call; false when the key exists already. */
export async function insertClaim(
  db: Sql,
  {
    orgId,
    key,
    operation,
    requestHash,
    token,
  }: { orgId: string; key: string; operation: string; requestHash: string; token: string },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO idempotency_keys (org_id, key, operation, request_hash, status, claim_token, claimed_at)
     VALUES ($1, $2, $3, $4, 'pending', $5, now())
     ON CONFLICT (org_id, key) DO NOTHING RETURNING key`,
    [orgId, key, operation, requestHash, token],
  );
  return rows.length > 0;
}

export async function find(
  db: Sql,
  { key, leaseMs }: { key: string; leaseMs: number },
): Promise<IdempotencyRecord | null> {
  const [row] = await db.query<IdempotencyRow>(
    `SELECT operation, request_hash, status, response, claim_token,
            status = 'pending' AND claimed_at < now() - make_interval(secs => $2::float8 / 1000) AS lapsed
       FROM idempotency_keys WHERE key = $1`,
    [key, leaseMs],
  );
  if (!row) return null;
  return {
    operation: row.operation,
    requestHash: row.request_hash,
    status: row.status,
    response: row.response,
    claimToken: row.claim_token,
    lapsed: row.lapsed,
  };
}

/** Moves a lapsed claim to a new claimant; false when someone else moved it first. */
export async function takeOver(
  db: Sql,
  { key, from, to }: { key: string; from: string | null; to: string },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE idempotency_keys SET claim_token = $3, claimed_at = now()
      WHERE key = $1 AND status = 'pending' AND claim_token IS NOT DISTINCT FROM $2 RETURNING key`,
    [key, from, to],
  );
  return rows.length > 0;
}

export async function renew(
  db: Sql,
  { key, token }: { key: string; token: string },
): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET claimed_at = now()
      WHERE key = $1 AND status = 'pending' AND claim_token = $2`,
    [key, token],
  );
}

/** Stores the answer of a claimed call; false when the claim was taken over meanwhile. */
export async function complete(
  db: Sql,
  { key, token, response }: { key: string; token: string; response: Record<string, unknown> },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE idempotency_keys SET status = 'done', response = $3, claim_token = NULL
      WHERE key = $1 AND status = 'pending' AND claim_token = $2 RETURNING key`,
    [key, token, JSON.stringify(response)],
  );
  return rows.length > 0;
}

export async function release(
  db: Sql,
  { key, token }: { key: string; token: string },
): Promise<void> {
  await db.query(
    `DELETE FROM idempotency_keys WHERE key = $1 AND status = 'pending' AND claim_token = $2`,
    [key, token],
  );
}
