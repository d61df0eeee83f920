import type { Sql } from '../database.ts';
import type { Actor, Mode } from '../../domain/tenant.ts';

export interface AuditEntry {
  id: string;
  customerId: string | null;
  actorType: Actor['type'];
  actorId: string | null;
  actorLabel: string | null;
  actorUserId: string | null;
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
  readonly actor_user_id: string | null;
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
    `INSERT INTO audit_log (org_id, customer_id, actor_type, actor_id, actor_label, action, resource_type, resource_id, request_id, mode, details, actor_user_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
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
      e.actorUserId,
    ],
  );
}

const COLUMNS = `id, customer_id, actor_type, actor_id, actor_label, actor_user_id, action,
  resource_type, resource_id, request_id, mode, details, created_at`;

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    customerId: r.customer_id,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorLabel: r.actor_label,
    actorUserId: r.actor_user_id,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    requestId: r.request_id,
    mode: r.mode,
    details: r.details,
    createdAt: r.created_at.toISOString(),
  };
}

export async function list(db: Sql, { limit }: { limit: number }): Promise<AuditEntry[]> {
  const rows = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log ORDER BY created_at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map(toEntry);
}

export interface AuditFilter {
  actorType: string | null;
  actorId: string | null;
  userId: string | null;
  /** An exact action, or a prefix when it ends in a dot. */
  action: string | null;
  resourceType: string | null;
  resourceId: string | null;
  customerId: string | null;
  since: string | null;
  until: string | null;
  /** Entries strictly older than this (time, id), for the next page. */
  before: { createdAt: string; id: string } | null;
  limit: number;
}

/** Entries matching every given filter, newest first. */
export async function query(db: Sql, f: AuditFilter): Promise<AuditEntry[]> {
  const prefix = f.action?.endsWith('.') ? f.action : null;
  const rows = await db.query<AuditRow>(
    `SELECT ${COLUMNS} FROM audit_log
      WHERE ($1::text IS NULL OR actor_type = $1)
        AND ($2::text IS NULL OR actor_id = $2)
        AND ($3::uuid IS NULL OR actor_user_id = $3 OR (actor_type = 'user' AND actor_id = $3::text))
        AND ($4::text IS NULL OR action = $4)
        AND ($5::text IS NULL OR starts_with(action, $5))
        AND ($6::text IS NULL OR resource_type = $6)
        AND ($7::text IS NULL OR resource_id = $7)
        AND ($8::uuid IS NULL OR customer_id = $8)
        AND ($9::timestamptz IS NULL OR created_at >= $9)
        AND ($10::timestamptz IS NULL OR created_at < $10)
        AND ($11::timestamptz IS NULL OR (created_at, id) < ($11, $12::uuid))
      ORDER BY created_at DESC, id DESC LIMIT $13`,
    [
      f.actorType,
      f.actorId,
      f.userId,
      prefix === null ? f.action : null,
      prefix,
      f.resourceType,
      f.resourceId,
      f.customerId,
      f.since,
      f.until,
      f.before?.createdAt ?? null,
      f.before?.id ?? null,
      f.limit,
    ],
  );
  return rows.map(toEntry);
}

/** Days entries are kept; null when the org has not set it. */
export async function findRetention(db: Sql): Promise<number | null> {
  const [row] = await db.query<{ days: number }>('SELECT days FROM audit_retention');
  return row?.days ?? null;
}

export async function putRetention(
  db: Sql,
  { orgId, days }: { orgId: string; days: number },
): Promise<void> {
  await db.query(
    `INSERT INTO audit_retention (org_id, days) VALUES ($1, $2)
     ON CONFLICT (org_id) DO UPDATE SET days = EXCLUDED.days, updated_at = now()`,
    [orgId, days],
  );
}

/**
 * Deletes entries past the retention period. The table's policy refuses every younger row, so
 * this can never remove more than the org's retention allows, whatever `before` says.
 */
export async function purgeBefore(db: Sql, { before }: { before: Date }): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    'WITH d AS (DELETE FROM audit_log WHERE created_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM d',
    [before],
  );
  return row?.n ?? 0;
}
