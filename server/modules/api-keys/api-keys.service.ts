import type { Database, Sql } from '../../db/database.ts';
import * as apiKeysRepo from '../../db/repositories/api-keys.repo.ts';
import type { ApiKey, CreateApiKey, CreatedApiKey } from '../../domain/api-key.ts';
import * as peopleRepo from '../../db/repositories/people.repo.ts';
import { requirePermission, type Mode, type Permission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { announceAuthChange } from '../auth/auth-cache.ts';
import { requireGrantable, resolveRole } from '../people/roles.service.ts';
import { generateKey } from './key-format.ts';

/** Inside an open transaction: used by org creation as well as the API. */
export async function insertApiKey(
  sql: Sql,
  {
    tenant,
    userId,
    name,
    kind,
    permissions = null,
  }: {
    tenant: Tenant;
    userId: string;
    name: string;
    kind: Mode;
    permissions?: readonly Permission[] | null;
  },
): Promise<CreatedApiKey> {
  const generated = generateKey(kind);
  const apiKey = await apiKeysRepo.insert(sql, {
    orgId: tenant.orgId,
    userId,
    name,
    kind,
    prefix: generated.prefix,
    keyHash: generated.keyHash,
    permissions,
  });
  await recordAudit(sql, {
    tenant,
    action: 'api_key.create',
    resourceType: 'api_key',
    resourceId: apiKey.id,
    details: { name, kind, prefix: generated.prefix, permissions },
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
  // A key is always its creator's own and never does more than they may, so seeing keys
  // (api_keys:read) is enough to make one's own; api_keys:write is for other people's keys.
  requirePermission(tenant, 'api_keys:read');
  // A test key must not mint its way into live mode.
  if (tenant.mode === 'test' && input.kind === 'live') {
    throw new AppError(
      'forbidden',
      'a test key can create only test keys; use a live key to create live keys',
    );
  }
  const userId = tenant.actor.userId;
  if (userId === null) throw new AppError('forbidden', 'this caller has no user to own a key');
  if (input.permissions) requireGrantable(tenant, input.permissions);
  return db.tenant(tenant, async (sql) => {
    const person = await peopleRepo.findPerson(sql, { id: userId });
    if (!person) throw new AppError('forbidden', 'this caller has no user to own a key');
    // A key made by a narrowed key is narrowed as much: no key mints a wider one.
    const role = await resolveRole(sql, person.role);
    const narrowed = role.some((p) => !tenant.permissions.has(p));
    const permissions = input.permissions ?? (narrowed ? [...tenant.permissions] : null);
    return insertApiKey(sql, { tenant, userId, name: input.name, kind: input.kind, permissions });
  });
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
  requirePermission(tenant, 'api_keys:read');
  const revoked = await db.tenant(tenant, async (sql) => {
    const existing = await apiKeysRepo.findById(sql, { id });
    if (!existing) return null;
    // One's own keys with api_keys:read; anyone else's takes api_keys:write.
    if (existing.userId !== tenant.actor.userId) requirePermission(tenant, 'api_keys:write');
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
