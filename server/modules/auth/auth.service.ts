import type { Database } from '../../db/database.ts';
import * as apiKeysRepo from '../../db/repositories/api-keys.repo.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { hashKey, parseKeyKind } from '../api-keys/key-format.ts';
import { permissionsOfRole } from '../people/roles.service.ts';
import type { AuthCache, CachedKey } from './auth-cache.ts';

const TOUCH_INTERVAL_MS = 60_000;

async function lookup(db: Database, keyHash: string): Promise<Omit<CachedKey, 'expiresAt'>> {
  const row = await apiKeysRepo.findByHash(db, { keyHash });
  if (!row) throw new AppError('unauthorized', 'unknown API key');
  if (row.revoked_at !== null)
    throw new AppError('unauthorized', 'this API key has been revoked; create a new one');
  if (row.role === null) {
    throw new AppError('unauthorized', "this API key's user no longer belongs to the organization");
  }
  return {
    keyId: row.id,
    orgId: row.org_id,
    userId: row.user_id,
    kind: row.kind,
    // A key acts with its person's current role, narrowed to its own list when it has one.
    permissions: permissionsOfRole(row.role, row.role_permissions).filter(
      (p) => row.permissions === null || row.permissions.includes(p),
    ),
    lastUsedAt: row.last_used_at?.getTime() ?? null,
  };
}

/**
 * Turns an API key into a tenant context: from the cache, or in one database round trip. The
 * last-used time is written at most once a minute per key, off the request path.
 */
export async function authenticateApiKey({
  db,
  cache,
  key,
  requestId,
  onTouchError,
}: {
  db: Database;
  cache?: AuthCache | undefined;
  key: string | undefined;
  requestId: string | null;
  onTouchError?: (error: unknown) => void;
}): Promise<Tenant> {
  if (key === undefined || key === '') {
    throw new AppError('unauthorized', 'missing API key: send it in the x-fastn-api-key header');
  }
  if (parseKeyKind(key) === null) {
    throw new AppError('unauthorized', 'malformed API key: expected wk_test_… or wk_live_…');
  }
  const keyHash = hashKey(key);
  const cached = cache?.get(keyHash);
  const entry: Omit<CachedKey, 'expiresAt'> = cached ?? (await lookup(db, keyHash));

  const tenant: Tenant = {
    orgId: entry.orgId,
    customerId: null,
    mode: entry.kind,
    actor: { type: 'api_key', id: entry.keyId, label: null, userId: entry.userId },
    permissions: new Set(entry.permissions),
    requestId,
  };
  const now = Date.now();
  if (entry.lastUsedAt === null || now - entry.lastUsedAt > TOUCH_INTERVAL_MS) {
    entry.lastUsedAt = now;
    const keyId = entry.keyId;
    db.tenant(tenant, (sql) => apiKeysRepo.touch(sql, { id: keyId })).catch((error: unknown) =>
      onTouchError?.(error),
    );
  }
  if (cached === undefined) cache?.set(keyHash, entry);
  return tenant;
}
