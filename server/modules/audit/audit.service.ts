import type { Database, Sql } from '../../db/database.ts';
import * as auditRepo from '../../db/repositories/audit.repo.ts';
import type { AuditEntry } from '../../db/repositories/audit.repo.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import type { AuditQuery } from '../../domain/audit.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { decodeCursor, pageOfItems } from '../pagination.ts';

/** Days audit entries are kept when an org has not chosen. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

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
    actorUserId: tenant.actor.userId,
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
  requirePermission(tenant, 'settings:read');
  return db.tenant(tenant, (sql) => auditRepo.list(sql, { limit }));
}

/** Entries by actor (a key, a person, an agent), action, resource and time; newest first. */
export async function queryAudit({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: AuditQuery;
}): Promise<{ data: AuditEntry[]; nextCursor: string | null }> {
  requirePermission(tenant, 'settings:read');
  const items = await db.tenant(tenant, (sql) =>
    auditRepo.query(sql, {
      actorType: query.actorType ?? null,
      actorId: query.actor ?? null,
      userId: query.userId ?? null,
      action: query.action ?? null,
      resourceType: query.resourceType ?? null,
      resourceId: query.resource ?? null,
      customerId: query.customerId ?? null,
      since: query.since ?? null,
      until: query.until ?? null,
      before: query.cursor === undefined ? null : decodeCursor(query.cursor),
      limit: query.limit,
    }),
  );
  return pageOfItems({ items, limit: query.limit, keyOf: (e) => e });
}

export async function getAuditRetention({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<{ days: number }> {
  requirePermission(tenant, 'settings:read');
  const days = await db.tenant(tenant, (sql) => auditRepo.findRetention(sql));
  return { days: days ?? DEFAULT_AUDIT_RETENTION_DAYS };
}

export async function setAuditRetention({
  db,
  tenant,
  days,
}: {
  db: Database;
  tenant: Tenant;
  days: number;
}): Promise<{ days: number }> {
  requirePermission(tenant, 'settings:write');
  return db.tenant(tenant, async (sql) => {
    const previous = (await auditRepo.findRetention(sql)) ?? DEFAULT_AUDIT_RETENTION_DAYS;
    await auditRepo.putRetention(sql, { orgId: tenant.orgId, days });
    await recordAudit(sql, {
      tenant,
      action: 'audit.retention.set',
      resourceType: 'audit_log',
      resourceId: null,
      details: { days, previous },
    });
    return { days };
  });
}

/** Deletes every org's entries older than its retention period (run by the workers). */
export async function purgeExpiredAudit({
  db,
  now = new Date(),
}: {
  db: Database;
  now?: Date;
}): Promise<number> {
  let purged = 0;
  for (const orgId of await db.owner((sql) => listRegisteredOrgs(sql))) {
    purged += await db.tenant({ orgId }, async (sql) => {
      const days = (await auditRepo.findRetention(sql)) ?? DEFAULT_AUDIT_RETENTION_DAYS;
      return auditRepo.purgeBefore(sql, { before: new Date(now.getTime() - days * 86_400_000) });
    });
  }
  return purged;
}
