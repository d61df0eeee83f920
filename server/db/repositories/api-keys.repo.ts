import type { Database, Sql } from '../database.ts';
import type { ApiKey } from '../../domain/api-key.ts';
import type { Mode } from '../../domain/tenant.ts';

interface ApiKeyRow {
  readonly id: string;
  readonly user_id: string;
  readonly name: string;
  readonly kind: Mode;
  readonly prefix: string;
  readonly created_at: Date;
  readonly last_used_at: Date | null;
  readonly revoked_at: Date | null;
  readonly permissions: string[] | null;
}

const COLUMNS =
  'id, user_id, name, kind, prefix, created_at, last_used_at, revoked_at, permissions';

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    kind: row.kind,
    prefix: row.prefix,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
    permissions: row.permissions as ApiKey['permissions'],
  };
}

export async function insert(
  db: Sql,
  args: {
    orgId: string;
    userId: string;
    name: string;
    kind: Mode;
    prefix: string;
    keyHash: string;
    permissions: readonly string[] | null;
  },
): Promise<ApiKey> {
  const rows = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (org_id, user_id, name, kind, prefix, key_hash, permissions)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [args.orgId, args.userId, args.name, args.kind, args.prefix, args.keyHash, args.permissions],
  );
  return toApiKey(rows[0] as ApiKeyRow);
}

export async function list(
  db: Sql,
  { includeRevoked }: { includeRevoked: boolean },
): Promise<ApiKey[]> {
  const rows = await db.query<ApiKeyRow>(
    `SELECT ${COLUMNS} FROM api_keys WHERE ($1::boolean OR revoked_at IS NULL) ORDER BY created_at DESC, id DESC`,
    [includeRevoked],
  );
  return rows.map(toApiKey);
}

export async function findById(db: Sql, { id }: { id: string }): Promise<ApiKey | null> {
  const rows = await db.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function revoke(db: Sql, { id }: { id: string }): Promise<ApiKey | null> {
  const rows = await db.query<ApiKeyRow>(
    `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function touch(db: Sql, { id }: { id: string }): Promise<void> {
  await db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]);
}

export interface KeyHolderRow {
  readonly id: string;
  readonly org_id: string;
  readonly user_id: string;
  readonly kind: Mode;
  readonly revoked_at: Date | null;
  readonly last_used_at: Date | null;
  readonly role: string | null;
  /** The key's own narrowing (null: none). */
  readonly permissions: string[] | null;
  /** The custom role's permissions (null for a system role). */
  readonly role_permissions: string[] | null;
}

/**
 * One round trip: as weft_app with only the key hash set, the key_holder_lookup policy shows
 * this key's row; its org is then set for the rest of the batch so the membership is visible.
 */
export async function findByHash(
  db: Database,
  { keyHash }: { keyHash: string },
): Promise<KeyHolderRow | null> {
  const results = await db.batch(
    { keyHash },
    `SELECT set_config('weft.org_id',
        coalesce((SELECT org_id::text FROM api_keys WHERE key_hash = weft_current_key_hash() LIMIT 1), ''), true);
     SELECT k.id, k.org_id, k.user_id, k.kind, k.revoked_at, k.last_used_at, m.role,
            k.permissions, r.permissions AS role_permissions
       FROM api_keys k
       LEFT JOIN memberships m ON m.org_id = k.org_id AND m.user_id = k.user_id
       LEFT JOIN roles r ON r.org_id = m.org_id AND r.slug = m.role
      WHERE k.key_hash = weft_current_key_hash()
      LIMIT 1`,
  );
  const row = results[1]?.[0] as KeyHolderRow | undefined;
  return row ?? null;
}
