import type { Sql } from '../database.ts';
import type { Actor, Mode } from '../../domain/tenant.ts';

export interface AuditEntry {
  id: string;
  customerId: string | null;
  actorType: Actor['type'];
  actorId: string | null;
  actorLabel: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  requestId: string | null;
  mode: Mode | null;
  details: Record<string, unknown>;
  createdAt: string;
}

interface AuditRow {
  readonly id: string;
  readonly customer_id: string | null;
  readonly actor_type: Actor['type'];
  readonly actor_id: string | null;
  readonly actor_label: string | null;
  readonly action: string;
  readonly resource_type: string;
  readonly resource_id: string | null;
  readonly request_id: string | null;
  readonly mode: Mode | null;
  readonly details: Record<string, unknown>;
  readonly created_at: Date;
}

export async function insert(
  db: Sql,
  e: Omit<AuditEntry, 'id' | 'createdAt'> & { orgId: string },
): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (org_id, customer_id, actor_type, actor_id, actor_label, action, resource_type, resource_id, request_id, mode, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      e.orgId,
      e.customerId,
      e.actorType,
      e.actorId,
      e.actorLabel,
      e.action,
      e.resourceType,
      e.resourceId,
      e.requestId,
      e.mode,
      JSON.stringify(e.details),
    ],
  );
}

export async function list(db: Sql, { limit }: { limit: number }): Promise<AuditEntry[]> {
  const rows = await db.query<AuditRow>(
    `SELECT id, customer_id, actor_type, actor_id, actor_label, action, resource_type, resource_id, request_id, mode, details, created_at
       FROM audit_log ORDER BY created_at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    id: r.id,
    customerId: r.customer_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorLabel: r.actor_label,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    requestId: r.request_id,
    mode: r.mode,
    details: r.details,
    createdAt: r.created_at.toISOString(),
  }));
}
