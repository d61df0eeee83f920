import type { Database, Sql } from '../../db/database.ts';
import * as apiKeysRepo from '../../db/repositories/api-keys.repo.ts';
import type { ApiKey, CreateApiKey, CreatedApiKey } from '../../domain/api-key.ts';
import { requirePermission, type Mode, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { announceAuthChange } from '../auth/auth-cache.ts';
import { generateKey } from './key-format.ts';

/** Inside an open transaction: used by org creation as well as the API. */
export async function insertApiKey(
  sql: Sql,
  { tenant, userId, name, kind }: { tenant: Tenant; userId: string; name: string; kind: Mode },
): Promise<CreatedApiKey> {
  const generated = generateKey(kind);
  const apiKey = await apiKeysRepo.insert(sql, {
    orgId: tenant.orgId,
    userId,
    name,
    kind,
    prefix: generated.prefix,
    keyHash: generated.keyHash,
  });
  await recordAudit(sql, {
    tenant,
    action: 'api_key.create',
    resourceType: 'api_key',
    resourceId: apiKey.id,
    details: { name, kind, prefix: generated.prefix },
  });
  return { ...apiKey, key: generated.key };
}

export async function createApiKey({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateApiKey;
}): Promise<CreatedApiKey> {
  requirePermission(tenant, 'api_keys:write');
  // A test key must not mint its way into live mode.
  if (tenant.mode === 'test' && input.kind === 'live') {
    throw new AppError(
      'forbidden',
      'a test key can create only test keys; use a live key to create live keys',
    );
  }
  const userId = tenant.actor.userId;
  if (userId === null) throw new AppError('forbidden', 'this caller has no user to own a key');
  return db.tenant(tenant, (sql) =>
    insertApiKey(sql, { tenant, userId, name: input.name, kind: input.kind }),
  );
}

export async function listApiKeys({
  db,
  tenant,
  includeRevoked,
}: {
  db: Database;
  tenant: Tenant;
  includeRevoked: boolean;
}): Promise<ApiKey[]> {
  requirePermission(tenant, 'api_keys:read');
  return db.tenant(tenant, (sql) => apiKeysRepo.list(sql, { includeRevoked }));
}

export async function revokeApiKey({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<ApiKey> {
  requirePermission(tenant, 'api_keys:write');
  const revoked = await db.tenant(tenant, async (sql) => {
    const existing = await apiKeysRepo.findById(sql, { id });
    if (!existing) return null;
    if (tenant.mode === 'test' && existing.kind === 'live') {
      throw new AppError('forbidden', 'a test key cannot revoke live keys; use a live key');
    }
    const key = await apiKeysRepo.revoke(sql, { id });
    // Every process drops the key from its auth cache as this commits.
    await announceAuthChange(sql, { keyId: id });
    if (key && existing.revokedAt === null) {
      await recordAudit(sql, {
        tenant,
        action: 'api_key.revoke',
        resourceType: 'api_key',
        resourceId: id,
        details: { prefix: key.prefix },
      });
    }
    return key;
  });
  if (!revoked)
    throw new AppError('not_found', `no API key ${id}; list API keys to see the ids that exist`);
  return revoked;
}
