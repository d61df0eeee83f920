import type { Database } from '../../db/database.ts';
import * as apiKeysRepo from '../../db/repositories/api-keys.repo.ts';
import { ROLE_PERMISSIONS, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { hashKey, parseKeyKind } from '../api-keys/key-format.ts';

const TOUCH_INTERVAL_MS = 60_000;

/**
 * Turns an API key into a tenant context in one database round trip. The last-used time is
 * written at most once a minute per key, off the request path.
 */
export async function authenticateApiKey({
  db,
  key,
  requestId,
  onTouchError,
}: {
  db: Database;
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
  const row = await apiKeysRepo.findByHash(db, { keyHash: hashKey(key) });
  if (!row) throw new AppError('unauthorized', 'unknown API key');
  if (row.revoked_at !== null)
    throw new AppError('unauthorized', 'this API key has been revoked; create a new one');
  if (row.role === null)
    throw new AppError('unauthorized', "this API key's user no longer belongs to the organization");

  const tenant: Tenant = {
    orgId: row.org_id,
    customerId: null,
    mode: row.kind,
    actor: { type: 'api_key', id: row.id, label: null, userId: row.user_id },
    permissions: new Set(ROLE_PERMISSIONS[row.role]),
    requestId,
  };
  if (row.last_used_at === null || Date.now() - row.last_used_at.getTime() > TOUCH_INTERVAL_MS) {
    db.tenant(tenant, (sql) => apiKeysRepo.touch(sql, { id: row.id })).catch((error: unknown) =>
      onTouchError?.(error),
    );
  }
  return tenant;
}
