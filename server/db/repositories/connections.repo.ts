import type { Database, Sql } from '../database.ts';
import type { ConnectionStatus } from '../../domain/connection.ts';

/** A connection as stored, credentials still sealed. Only services see this shape. */
export interface ConnectionRecord {
  readonly id: string;
  readonly orgId: string;
  readonly connectorId: string;
  readonly connectorSlug: string;
  readonly customerId: string | null;
  readonly name: string;
  readonly authMethod: string;
  readonly status: ConnectionStatus;
  readonly statusReason: string | null;
  readonly credentials: Readonly<Record<string, string>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tokenExpiresAt: Date | null;
  readonly lastRefreshedAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface ConnectionRow {
  readonly id: string;
  readonly org_id: string;
  readonly connector_id: string;
  readonly connector_slug: string;
  readonly customer_id: string | null;
  readonly name: string;
  readonly auth_method: string;
  readonly status: ConnectionStatus;
  readonly status_reason: string | null;
  readonly credentials: Record<string, string>;
  readonly config: Record<string, unknown>;
  readonly token_expires_at: Date | null;
  readonly last_refreshed_at: Date | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const COLUMNS = `n.id, n.org_id, n.connector_id, c.slug AS connector_slug, n.customer_id, n.name, n.auth_method, n.status,
  n.status_reason, n.credentials, n.config, n.token_expires_at, n.last_refreshed_at, n.created_at, n.updated_at`;
const FROM = 'connections n JOIN connectors c ON c.org_id = n.org_id AND c.id = n.connector_id';

function toRecord(r: ConnectionRow): ConnectionRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    connectorId: r.connector_id,
    connectorSlug: r.connector_slug,
    customerId: r.customer_id,
    name: r.name,
    authMethod: r.auth_method,
    status: r.status,
    statusReason: r.status_reason,
    credentials: r.credentials,
    config: r.config,
    tokenExpiresAt: r.token_expires_at,
    lastRefreshedAt: r.last_refreshed_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insert(
  db: Sql,
  c: {
    id: string;
    orgId: string;
    connectorId: string;
    customerId: string | null;
    name: string;
    authMethod: string;
    status: ConnectionStatus;
    credentials: Record<string, string>;
    config: Record<string, unknown>;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO connections (id, org_id, connector_id, customer_id, name, auth_method, status, credentials, config)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      c.id,
      c.orgId,
      c.connectorId,
      c.customerId,
      c.name,
      c.authMethod,
      c.status,
      JSON.stringify(c.credentials),
      JSON.stringify(c.config),
    ],
  );
}

export async function find(
  db: Sql,
  { id, forUpdate = false }: { id: string; forUpdate?: boolean },
): Promise<ConnectionRecord | null> {
  const rows = await db.query<ConnectionRow>(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE n.id = $1${forUpdate ? ' FOR UPDATE OF n' : ''}`,
    [id],
  );
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function list(
  db: Sql,
  {
    customerId,
    connectorId,
  }: { customerId: string | null | undefined; connectorId: string | undefined },
): Promise<ConnectionRecord[]> {
  const rows = await db.query<ConnectionRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
      WHERE ($1::uuid IS NULL OR n.customer_id = $1) AND ($2::uuid IS NULL OR n.connector_id = $2)
      ORDER BY n.created_at DESC, n.id DESC`,
    [customerId ?? null, connectorId ?? null],
  );
  return rows.map(toRecord);
}

export async function remove(db: Sql, { id }: { id: string }): Promise<boolean> {
  return (await db.query('DELETE FROM connections WHERE id = $1 RETURNING id', [id])).length > 0;
}

export async function setStatus(
  db: Sql,
  { id, status, reason }: { id: string; status: ConnectionStatus; reason: string | null },
): Promise<void> {
  await db.query(
    'UPDATE connections SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1',
    [id, status, reason],
  );
}

/** Merges sealed fields into the stored credentials (null removes a field). */
export async function mergeCredentials(
  db: Sql,
  {
    id,
    credentials,
    tokenExpiresAt,
    refreshed,
    status,
  }: {
    id: string;
    credentials: Record<string, string | null>;
    tokenExpiresAt: Date | null;
    refreshed: boolean;
    status?: ConnectionStatus;
  },
): Promise<void> {
  await db.query(
    `UPDATE connections SET
        credentials = jsonb_strip_nulls(credentials || $2::jsonb),
        token_expires_at = $3,
        last_refreshed_at = CASE WHEN $4::boolean THEN now() ELSE last_refreshed_at END,
        status = coalesce($5, status),
        status_reason = CASE WHEN $5 IS NULL THEN status_reason ELSE NULL END,
        updated_at = now()
      WHERE id = $1`,
    [id, JSON.stringify(credentials), tokenExpiresAt, refreshed, status ?? null],
  );
}

export interface OAuthAppRecord {
  readonly id: string;
  readonly connectorId: string;
  readonly clientId: string;
  readonly clientSecretSealed: string | null;
  readonly authorizeUrl: string | null;
  readonly tokenUrl: string | null;
  readonly scopes: string[];
  readonly updatedAt: Date;
}

interface OAuthAppRow {
  readonly id: string;
  readonly connector_id: string;
  readonly client_id: string;
  readonly client_secret_sealed: string | null;
  readonly authorize_url: string | null;
  readonly token_url: string | null;
  readonly scopes: string[];
  readonly updated_at: Date;
}

export async function findOAuthApp(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<OAuthAppRecord | null> {
  const rows = await db.query<OAuthAppRow>(
    'SELECT id, connector_id, client_id, client_secret_sealed, authorize_url, token_url, scopes, updated_at FROM oauth_apps WHERE connector_id = $1',
    [connectorId],
  );
  const r = rows[0];
  return r
    ? {
        id: r.id,
        connectorId: r.connector_id,
        clientId: r.client_id,
        clientSecretSealed: r.client_secret_sealed,
        authorizeUrl: r.authorize_url,
        tokenUrl: r.token_url,
        scopes: r.scopes,
        updatedAt: r.updated_at,
      }
    : null;
}

export async function upsertOAuthApp(
  db: Sql,
  a: {
    id: string;
    orgId: string;
    connectorId: string;
    clientId: string;
    clientSecretSealed: string | null | undefined;
    authorizeUrl: string | null;
    tokenUrl: string | null;
    scopes: string[];
  },
): Promise<void> {
  await db.query(
    `INSERT INTO oauth_apps (id, org_id, connector_id, client_id, client_secret_sealed, authorize_url, token_url, scopes)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (org_id, connector_id) DO UPDATE SET client_id = EXCLUDED.client_id,
       client_secret_sealed = CASE WHEN $9::boolean THEN EXCLUDED.client_secret_sealed ELSE oauth_apps.client_secret_sealed END,
       authorize_url = EXCLUDED.authorize_url, token_url = EXCLUDED.token_url, scopes = EXCLUDED.scopes, updated_at = now()`,
    [
      a.id,
      a.orgId,
      a.connectorId,
      a.clientId,
      a.clientSecretSealed ?? null,
      a.authorizeUrl,
      a.tokenUrl,
      a.scopes,
      a.clientSecretSealed !== undefined,
    ],
  );
}

export async function removeOAuthApp(
  db: Sql,
  { connectorId }: { connectorId: string },
): Promise<boolean> {
  return (
    (await db.query('DELETE FROM oauth_apps WHERE connector_id = $1 RETURNING id', [connectorId]))
      .length > 0
  );
}

export async function insertAuthorization(
  db: Sql,
  a: {
    orgId: string;
    state: string;
    connectionId: string;
    codeVerifierSealed: string;
    redirectUri: string;
    returnUrl: string | null;
    expiresAt: Date;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO oauth_authorizations (org_id, state, connection_id, code_verifier_sealed, redirect_uri, return_url, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      a.orgId,
      a.state,
      a.connectionId,
      a.codeVerifierSealed,
      a.redirectUri,
      a.returnUrl,
      a.expiresAt,
    ],
  );
}

export interface AuthorizationRecord {
  readonly orgId: string;
  readonly state: string;
  readonly connectionId: string;
  readonly codeVerifierSealed: string;
  readonly redirectUri: string;
  readonly returnUrl: string | null;
  readonly expiresAt: Date;
}

/** Consumes the authorization: a state works once. */
export async function takeAuthorization(
  db: Sql,
  { state }: { state: string },
): Promise<AuthorizationRecord | null> {
  const rows = await db.query<{
    org_id: string;
    state: string;
    connection_id: string;
    code_verifier_sealed: string;
    redirect_uri: string;
    return_url: string | null;
    expires_at: Date;
  }>(
    `DELETE FROM oauth_authorizations WHERE state = $1
     RETURNING org_id, state, connection_id, code_verifier_sealed, redirect_uri, return_url, expires_at`,
    [state],
  );
  const r = rows[0];
  return r
    ? {
        orgId: r.org_id,
        state: r.state,
        connectionId: r.connection_id,
        codeVerifierSealed: r.code_verifier_sealed,
        redirectUri: r.redirect_uri,
        returnUrl: r.return_url,
        expiresAt: r.expires_at,
      }
    : null;
}

/**
 * Consumes the authorization of an OAuth callback, before the org is known, in one round trip:
 * the `weft.oauth_state` setting makes only that state's row visible (RLS), and the org is set
 * from it within the same implicit transaction. A state works once.
 */
export async function takeAuthorizationByState(
  db: Database,
  { state }: { state: string },
): Promise<AuthorizationRecord | null> {
  const results = await db.batch(
    { oauthState: state },
    `SELECT set_config('weft.org_id',
        coalesce((SELECT org_id::text FROM oauth_authorizations WHERE state = weft_current_oauth_state() LIMIT 1), ''), true);
     DELETE FROM oauth_authorizations WHERE state = weft_current_oauth_state()
       RETURNING org_id, connection_id, code_verifier_sealed, redirect_uri, return_url, expires_at`,
  );
  const r = results[1]?.[0] as
    | {
        readonly org_id: string;
        readonly connection_id: string;
        readonly code_verifier_sealed: string;
        readonly redirect_uri: string;
        readonly return_url: string | null;
        readonly expires_at: Date;
      }
    | undefined;
  return r
    ? {
        orgId: r.org_id,
        state,
        connectionId: r.connection_id,
        codeVerifierSealed: r.code_verifier_sealed,
        redirectUri: r.redirect_uri,
        returnUrl: r.return_url,
        expiresAt: r.expires_at,
      }
    : null;
}

export async function insertPlatformEvent(
  db: Sql,
  e: {
    orgId: string;
    customerId: string | null;
    type: string;
    resourceType: string;
    resourceId: string;
    payload: Record<string, unknown>;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO platform_events (org_id, customer_id, type, resource_type, resource_id, payload) VALUES ($1, $2, $3, $4, $5, $6)`,
    [e.orgId, e.customerId, e.type, e.resourceType, e.resourceId, JSON.stringify(e.payload)],
  );
}

export async function listPlatformEvents(
  db: Sql,
  { limit }: { limit: number },
): Promise<
  { type: string; resourceId: string | null; payload: Record<string, unknown>; createdAt: string }[]
> {
  const rows = await db.query<{
    type: string;
    resource_id: string | null;
    payload: Record<string, unknown>;
    created_at: Date;
  }>(
    'SELECT type, resource_id, payload, created_at FROM platform_events ORDER BY created_at DESC LIMIT $1',
    [limit],
  );
  return rows.map((r) => ({
    type: r.type,
    resourceId: r.resource_id,
    payload: r.payload,
    createdAt: r.created_at.toISOString(),
  }));
}

// Key rotation re-wraps every sealed value of an org: it locks them all, then updates those
// that changed, in one tenant transaction.

export async function lockAllCredentials(
  db: Sql,
): Promise<{ id: string; credentials: Record<string, string> }[]> {
  return db.query<{ readonly id: string; readonly credentials: Record<string, string> }>(
    'SELECT id, credentials FROM connections FOR UPDATE',
  );
}

export async function updateCredentials(
  db: Sql,
  { id, credentials }: { id: string; credentials: Record<string, string> },
): Promise<void> {
  await db.query('UPDATE connections SET credentials = $2 WHERE id = $1', [
    id,
    JSON.stringify(credentials),
  ]);
}

export async function lockAllOAuthAppSecrets(
  db: Sql,
): Promise<{ id: string; clientSecretSealed: string | null }[]> {
  const rows = await db.query<{
    readonly id: string;
    readonly client_secret_sealed: string | null;
  }>('SELECT id, client_secret_sealed FROM oauth_apps FOR UPDATE');
  return rows.map((r) => ({ id: r.id, clientSecretSealed: r.client_secret_sealed }));
}

export async function updateOAuthAppSecret(
  db: Sql,
  { id, clientSecretSealed }: { id: string; clientSecretSealed: string },
): Promise<void> {
  await db.query('UPDATE oauth_apps SET client_secret_sealed = $2 WHERE id = $1', [
    id,
    clientSecretSealed,
  ]);
}

export async function lockAllAuthorizationVerifiers(
  db: Sql,
): Promise<{ state: string; codeVerifierSealed: string }[]> {
  const rows = await db.query<{ readonly state: string; readonly code_verifier_sealed: string }>(
    'SELECT state, code_verifier_sealed FROM oauth_authorizations FOR UPDATE',
  );
  return rows.map((r) => ({ state: r.state, codeVerifierSealed: r.code_verifier_sealed }));
}

export async function updateAuthorizationVerifier(
  db: Sql,
  { state, codeVerifierSealed }: { state: string; codeVerifierSealed: string },
): Promise<void> {
  await db.query('UPDATE oauth_authorizations SET code_verifier_sealed = $2 WHERE state = $1', [
    state,
    codeVerifierSealed,
  ]);
}
