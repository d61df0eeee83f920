// A person's own sessions, password and MCP OAuth grants; and deleting a whole organization.
import type { OwnerSql, Sql } from '../database.ts';
import type { AccountSession } from '../../domain/account.ts';

export async function findPasswordHash(
  db: Sql,
  { userId }: { userId: string },
): Promise<string | null> {
  const rows = await db.query<{ password_hash: string | null }>(
    'SELECT password_hash FROM users WHERE id = $1',
    [userId],
  );
  return rows[0]?.password_hash ?? null;
}

export async function listSessionsOf(
  db: Sql,
  { userId, currentHash }: { userId: string; currentHash: string | null },
): Promise<AccountSession[]> {
  const rows = await db.query<{
    id: string;
    created_at: Date;
    expires_at: Date;
    current: boolean;
    user_agent: string | null;
    ip: string | null;
  }>(
    `SELECT id, created_at, expires_at, token_hash = $2 AS current, user_agent, ip FROM sessions
      WHERE user_id = $1 AND expires_at > now() ORDER BY created_at DESC LIMIT 200`,
    [userId, currentHash ?? ''],
  );
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    current: r.current,
    userAgent: r.user_agent,
    ip: r.ip,
  }));
}

/** Ends one session of the person; answers whether it was the one with `currentHash`. */
export async function deleteSessionOf(
  db: Sql,
  { userId, id, currentHash }: { userId: string; id: string; currentHash: string | null },
): Promise<{ current: boolean } | null> {
  const rows = await db.query<{ current: boolean }>(
    'DELETE FROM sessions WHERE user_id = $1 AND id = $2 RETURNING token_hash = $3 AS current',
    [userId, id, currentHash ?? ''],
  );
  return rows[0] ?? null;
}

/** Ends every session of the person but the one with `keepHash`; answers how many ended. */
export async function deleteOtherSessionsOf(
  db: Sql,
  { userId, keepHash }: { userId: string; keepHash: string | null },
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2 RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [userId, keepHash ?? ''],
  );
  return rows[0]?.n ?? 0;
}

export interface GrantRow {
  readonly grantId: string;
  readonly clientId: string;
  readonly resource: string;
  readonly createdAt: Date;
  readonly lastIssuedAt: Date;
  readonly expiresAt: Date;
}

/** The person's MCP OAuth grants that still hold a token that works (or a refresh token). */
export async function listLiveGrantsOf(
  db: Sql,
  { userId }: { userId: string },
): Promise<GrantRow[]> {
  const rows = await db.query<{
    grant_id: string;
    client_id: string;
    resource: string;
    created_at: Date;
    last_issued_at: Date;
    expires_at: Date;
  }>(
    `SELECT grant_id, client_id, resource, min(created_at) AS created_at,
            max(created_at) AS last_issued_at, max(expires_at) AS expires_at
       FROM mcp_oauth_tokens
      WHERE user_id = $1
      GROUP BY grant_id, client_id, resource
     HAVING bool_or(revoked_at IS NULL AND expires_at > now()
                    AND (kind = 'access' OR used_at IS NULL))
      ORDER BY min(created_at) DESC LIMIT 200`,
    [userId],
  );
  return rows.map((r) => ({
    grantId: r.grant_id,
    clientId: r.client_id,
    resource: r.resource,
    createdAt: r.created_at,
    lastIssuedAt: r.last_issued_at,
    expiresAt: r.expires_at,
  }));
}

/** Revokes every token of the person's grant; the client it was for, or null if none. */
export async function revokeGrantOf(
  db: Sql,
  { userId, grantId }: { userId: string; grantId: string },
): Promise<{ clientId: string; revoked: number } | null> {
  const rows = await db.query<{ client_id: string; revoked: number }>(
    `WITH hit AS (
       UPDATE mcp_oauth_tokens SET revoked_at = now()
        WHERE user_id = $1 AND grant_id = $2 AND revoked_at IS NULL RETURNING client_id)
     SELECT min(client_id) AS client_id, count(*)::int AS revoked FROM hit`,
    [userId, grantId],
  );
  const row = rows[0];
  return row && row.revoked > 0 ? { clientId: row.client_id, revoked: row.revoked } : null;
}

/** Registered clients' names (a system table: the owner connection only). */
export async function clientNames(
  db: OwnerSql,
  { clientIds }: { clientIds: readonly string[] },
): Promise<Map<string, string | null>> {
  if (clientIds.length === 0) return new Map();
  const rows = await db.query<{ client_id: string; client_name: string | null }>(
    'SELECT client_id, client_name FROM mcp_oauth_clients WHERE client_id = ANY($1::text[])',
    [clientIds],
  );
  return new Map(rows.map((r) => [r.client_id, r.client_name]));
}

/** Deletes the tenant's organization row; every tenant table cascades from it. */
export async function deleteOrganization(db: Sql, { id }: { id: string }): Promise<boolean> {
  const rows = await db.query('DELETE FROM organizations WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}

/**
 * Forgets a deleted org in the system tables: the registry, the scheduler's hints, and, when it
 * was the installation's default, points the default at the oldest org left (or clears it, so
 * the next start sets up a first org again).
 */
export async function forgetOrganization(db: OwnerSql, { id }: { id: string }): Promise<void> {
  await db.query('DELETE FROM org_registry WHERE org_id = $1', [id]);
  await db.query('DELETE FROM schedule_hints WHERE org_id = $1', [id]);
  const next = await db.query<{ org_id: string }>(
    'SELECT org_id FROM org_registry ORDER BY created_at, org_id LIMIT 1',
  );
  const replacement = next[0]?.org_id;
  if (replacement === undefined) {
    await db.query('DELETE FROM installation WHERE default_org_id = $1', [id]);
  } else {
    await db.query('UPDATE installation SET default_org_id = $2 WHERE default_org_id = $1', [
      id,
      replacement,
    ]);
  }
}
