import type { Database, OwnerSql, Sql } from '../database.ts';

export interface OAuthClientRow {
  readonly client_id: string;
  readonly client_name: string | null;
  readonly redirect_uris: string[];
  readonly metadata: Record<string, unknown>;
  readonly created_at: Date;
}

/** Registered clients belong to no org: read and written as the owner (a system table). */
export async function insertClient(
  db: OwnerSql,
  args: {
    clientId: string;
    clientName: string | null;
    redirectUris: readonly string[];
    metadata: Record<string, unknown>;
  },
): Promise<OAuthClientRow> {
  const rows = await db.query<OAuthClientRow>(
    `INSERT INTO mcp_oauth_clients (client_id, client_name, redirect_uris, metadata)
     VALUES ($1, $2, $3, $4) RETURNING *`,
    [
      args.clientId,
      args.clientName,
      JSON.stringify(args.redirectUris),
      JSON.stringify(args.metadata),
    ],
  );
  return rows[0] as OAuthClientRow;
}

export async function findClient(
  db: OwnerSql,
  { clientId }: { clientId: string },
): Promise<OAuthClientRow | null> {
  const rows = await db.query<OAuthClientRow>(
    'SELECT * FROM mcp_oauth_clients WHERE client_id = $1',
    [clientId],
  );
  return rows[0] ?? null;
}

export interface CodeRow {
  readonly org_id: string;
  readonly client_id: string;
  readonly user_id: string;
  readonly resource: string;
  readonly scope: string | null;
  readonly redirect_uri: string;
  readonly code_challenge: string;
  readonly expires_at: Date;
}

export async function insertCode(
  db: Sql,
  args: {
    orgId: string;
    codeHash: string;
    clientId: string;
    userId: string;
    resource: string;
    scope: string | null;
    redirectUri: string;
    codeChallenge: string;
    expiresAt: Date;
  },
): Promise<void> {
  // Codes nobody exchanged in time are dropped as new ones are made (in this org only, by RLS).
  await db.query('DELETE FROM mcp_oauth_codes WHERE expires_at < now()');
  await db.query(
    `INSERT INTO mcp_oauth_codes
       (org_id, code_hash, client_id, user_id, resource, scope, redirect_uri, code_challenge, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      args.orgId,
      args.codeHash,
      args.clientId,
      args.userId,
      args.resource,
      args.scope,
      args.redirectUri,
      args.codeChallenge,
      args.expiresAt,
    ],
  );
}

/**
 * The org a code or token belongs to, found by its hash before any org is known: the holder
 * lookup policy shows that one row only (`hash` must be validated hex; it is inlined).
 */
export async function findHolderOrg(
  db: Database,
  { table, hash }: { table: 'codes' | 'tokens'; hash: string },
): Promise<string | null> {
  const [name, column] =
    table === 'codes' ? ['mcp_oauth_codes', 'code_hash'] : ['mcp_oauth_tokens', 'token_hash'];
  const results = await db.batch(
    { keyHash: hash },
    `SELECT org_id FROM ${name} WHERE ${column} = weft_current_key_hash() LIMIT 1`,
  );
  const row = results[0]?.[0] as { org_id: string } | undefined;
  return row?.org_id ?? null;
}

/** Takes a code (once: a second exchange finds nothing). */
export async function consumeCode(
  db: Sql,
  { codeHash }: { codeHash: string },
): Promise<CodeRow | null> {
  const rows = await db.query<CodeRow>(
    'DELETE FROM mcp_oauth_codes WHERE code_hash = $1 RETURNING *',
    [codeHash],
  );
  return rows[0] ?? null;
}

export interface NewToken {
  readonly tokenHash: string;
  readonly kind: 'access' | 'refresh';
  readonly grantId: string;
  readonly clientId: string;
  readonly userId: string;
  readonly resource: string;
  readonly scope: string | null;
  readonly expiresAt: Date;
}

export async function insertTokens(
  db: Sql,
  { orgId, tokens }: { orgId: string; tokens: readonly NewToken[] },
): Promise<void> {
  for (const t of tokens) {
    await db.query(
      `INSERT INTO mcp_oauth_tokens
         (org_id, token_hash, kind, grant_id, client_id, user_id, resource, scope, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        orgId,
        t.tokenHash,
        t.kind,
        t.grantId,
        t.clientId,
        t.userId,
        t.resource,
        t.scope,
        t.expiresAt,
      ],
    );
  }
}

export interface TokenRow {
  readonly org_id: string;
  readonly kind: 'access' | 'refresh';
  readonly grant_id: string;
  readonly client_id: string;
  readonly user_id: string;
  readonly resource: string;
  readonly scope: string | null;
  readonly expires_at: Date;
  readonly used_at: Date | null;
  readonly revoked_at: Date | null;
  /** The person's role now; null once they left the org. */
  readonly role: string | null;
  /** The permissions of a custom role (null for a system role). */
  readonly role_permissions: string[] | null;
}

/** A token and its person's current role, by hash, in one round trip (the bearer check). */
export async function findTokenHolder(
  db: Database,
  { tokenHash }: { tokenHash: string },
): Promise<TokenRow | null> {
  const results = await db.batch(
    { keyHash: tokenHash },
    `SELECT set_config('weft.org_id',
        coalesce((SELECT org_id::text FROM mcp_oauth_tokens WHERE token_hash = weft_current_key_hash() LIMIT 1), ''), true);
     SELECT t.org_id, t.kind, t.grant_id, t.client_id, t.user_id, t.resource, t.scope,
            t.expires_at, t.used_at, t.revoked_at, m.role, r.permissions AS role_permissions
       FROM mcp_oauth_tokens t
       LEFT JOIN memberships m ON m.org_id = t.org_id AND m.user_id = t.user_id
       LEFT JOIN roles r ON r.org_id = m.org_id AND r.slug = m.role
      WHERE t.token_hash = weft_current_key_hash()
      LIMIT 1`,
  );
  const row = results[1]?.[0] as TokenRow | undefined;
  return row ?? null;
}

/**
 * Marks a refresh token used, if it was not: the row when this call used it, null when it was
 * already used, revoked or unknown (in this org).
 */
export async function useRefreshToken(
  db: Sql,
  { tokenHash }: { tokenHash: string },
): Promise<TokenRow | null> {
  const rows = await db.query<TokenRow>(
    `UPDATE mcp_oauth_tokens SET used_at = now()
      WHERE token_hash = $1 AND kind = 'refresh' AND used_at IS NULL AND revoked_at IS NULL
      RETURNING *, NULL AS role, NULL AS role_permissions`,
    [tokenHash],
  );
  return rows[0] ?? null;
}

export async function revokeGrant(db: Sql, { grantId }: { grantId: string }): Promise<void> {
  await db.query(
    'UPDATE mcp_oauth_tokens SET revoked_at = now() WHERE grant_id = $1 AND revoked_at IS NULL',
    [grantId],
  );
}

/** Deletes the org's tokens and codes that expired before `before`; answers how many. */
export async function removeExpired(db: Sql, { before }: { before: Date }): Promise<number> {
  const tokens = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM mcp_oauth_tokens WHERE expires_at < $1 RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [before],
  );
  const codes = await db.query<{ n: number }>(
    `WITH gone AS (DELETE FROM mcp_oauth_codes WHERE expires_at < $1 RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [before],
  );
  return (tokens[0]?.n ?? 0) + (codes[0]?.n ?? 0);
}
