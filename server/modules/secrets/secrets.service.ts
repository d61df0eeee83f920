import { open, seal, type Keyring } from '../../crypto/envelope.ts';
import type { Database } from '../../db/database.ts';
import * as secretsRepo from '../../db/repositories/secrets.repo.ts';
import { SECRET_VALUE_MAX_BYTES, type Secret } from '../../domain/secret.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Binds a sealed secret value to its org and name: copied elsewhere, it does not open. */
export function secretValueAad({ orgId, name }: { orgId: string; name: string }): string {
  return `weft:secret:v1|org:${orgId}|name:${name}`;
}

// Secrets are the organization's configuration, not a customer's data.
function requireOrgLevel(tenant: Tenant): void {
  if (tenant.customerId !== null) {
    throw new AppError(
      'forbidden',
      'secrets belong to the organization; a customer-scoped key cannot read or change them',
    );
  }
}

function assertName(name: string): void {
  if (!NAME.test(name)) {
    throw new AppError(
      'validation_failed',
      'secret name must be 1–128 letters, digits and _, not starting with a digit',
      { field: 'name' },
    );
  }
}

export async function listSecrets({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<Secret[]> {
  requirePermission(tenant, 'secrets:read');
  requireOrgLevel(tenant);
  return db.tenant(tenant, (sql) => secretsRepo.list(sql));
}

/** Creates the secret or replaces its value. The value is sealed and never returned or logged. */
export async function putSecret({
  db,
  keyring,
  tenant,
  name,
  value,
}: {
  db: Database;
  keyring: Keyring;
  tenant: Tenant;
  name: string;
  value: string;
}): Promise<{ secret: Secret; created: boolean }> {
  requirePermission(tenant, 'secrets:write');
  requireOrgLevel(tenant);
  assertName(name);
  if (Buffer.byteLength(value, 'utf8') > SECRET_VALUE_MAX_BYTES) {
    throw new AppError(
      'validation_failed',
      `secret value is larger than ${SECRET_VALUE_MAX_BYTES} bytes; store a smaller value`,
      { field: 'value', maxBytes: SECRET_VALUE_MAX_BYTES },
    );
  }
  const valueSealed = seal({
    keyring,
    plaintext: value,
    aad: secretValueAad({ orgId: tenant.orgId, name }),
  });
  return db.tenant(tenant, async (sql) => {
    const { id, secret, created } = await secretsRepo.upsert(sql, {
      orgId: tenant.orgId,
      name,
      valueSealed,
      actor: tenant.actor,
    });
    await recordAudit(sql, {
      tenant,
      action: created ? 'secret.create' : 'secret.update',
      resourceType: 'secret',
      resourceId: id,
      details: { name },
    });
    return { secret, created };
  });
}

export async function deleteSecret({
  db,
  tenant,
  name,
}: {
  db: Database;
  tenant: Tenant;
  name: string;
}): Promise<void> {
  requirePermission(tenant, 'secrets:write');
  requireOrgLevel(tenant);
  const removed = await db.tenant(tenant, async (sql) => {
    const row = await secretsRepo.remove(sql, { name });
    if (row) {
      await recordAudit(sql, {
        tenant,
        action: 'secret.delete',
        resourceType: 'secret',
        resourceId: row.id,
        details: { name },
      });
    }
    return row;
  });
  if (!removed) {
    throw new AppError('not_found', `no secret ${name}; list secrets to see the names that exist`);
  }
}

/**
 * Plaintext values for the workflow runtime (never for an API response): the named secrets
 * that exist, or every secret of the org when `names` is omitted. Missing names are absent.
 */
export async function readSecretValues({
  db,
  keyring,
  orgId,
  names,
}: {
  db: Database;
  keyring: Keyring;
  orgId: string;
  names?: readonly string[];
}): Promise<Map<string, string>> {
  // A Map, not an object: a secret may be named `constructor` or `__proto__`.
  const values = new Map<string, string>();
  if (names?.length === 0) return values;
  const rows = await db.tenant({ orgId }, (sql) =>
    secretsRepo.findSealed(sql, { names: names ?? null }),
  );
  for (const r of rows) {
    values.set(
      r.name,
      open({ keyring, sealed: r.valueSealed, aad: secretValueAad({ orgId, name: r.name }) }),
    );
  }
  return values;
}

/** One secret's plaintext for the workflow runtime; null when the org has no such secret. */
export async function readSecretValue({
  db,
  keyring,
  orgId,
  name,
}: {
  db: Database;
  keyring: Keyring;
  orgId: string;
  name: string;
}): Promise<string | null> {
  const values = await readSecretValues({ db, keyring, orgId, names: [name] });
  return values.get(name) ?? null;
}
