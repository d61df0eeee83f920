import type { Database, Sql } from '../../db/database.ts';
import * as auditRepo from '../../db/repositories/audit.repo.ts';
import type { AuditEntry } from '../../db/repositories/audit.repo.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';

/**
 * Records a write inside the caller's transaction, so the entry exists exactly when the write
 * does. `details` must never hold secret values.
 */
export async function recordAudit(
  sql: Sql,
  {
    tenant,
    action,
    resourceType,
    resourceId,
    customerId = null,
    details = {},
  }: {
    tenant: Tenant;
    action: string;
    resourceType: string;
    resourceId: string | null;
    customerId?: string | null;
    details?: Record<string, unknown>;
  },
): Promise<void> {
  await auditRepo.insert(sql, {
    orgId: tenant.orgId,
    customerId: customerId ?? tenant.customerId,
    actorType: tenant.actor.type,
    actorId: tenant.actor.id,
    actorLabel: tenant.actor.label,
    action,
    resourceType,
    resourceId,
    requestId: tenant.requestId,
    mode: tenant.mode,
    details,
  });
}

export async function listAudit({
  db,
  tenant,
  limit,
}: {
  db: Database;
  tenant: Tenant;
  limit: number;
}): Promise<AuditEntry[]> {
  requirePermission(tenant, 'audit:read');
  return db.tenant(tenant, (sql) => auditRepo.list(sql, { limit }));
}
