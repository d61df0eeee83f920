import type { Sql } from '../database.ts';
import type { AlertCondition, AlertIncident, AlertRule } from '../../domain/alert.ts';

export interface AlertRuleRecord extends AlertRule {
  lastBreachAt: string | null;
  lastNotifiedAt: string | null;
  /** The webhook signing secret, sealed (null for rules made before signing). */
  signingSecretSealed: string | null;
}

interface RuleRow {
  readonly id: string;
  readonly name: string;
  readonly condition: AlertCondition;
  readonly threshold: number;
  readonly window_seconds: number;
  readonly workflow_id: string | null;
  readonly customer_id: string | null;
  readonly webhook_url: string | null;
  readonly enabled: boolean;
  readonly last_value: number | null;
  readonly last_evaluated_at: Date | null;
  readonly last_breach_at: Date | null;
  readonly last_notified_at: Date | null;
  readonly signing_secret_sealed: string | null;
  readonly open_incident_id: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const RULE_COLUMNS = `r.id, r.name, r.condition, r.threshold, r.window_seconds, r.workflow_id,
  r.customer_id, r.webhook_url, r.enabled, r.last_value, r.last_evaluated_at, r.last_breach_at,
  r.last_notified_at, r.signing_secret_sealed, r.created_at, r.updated_at,
  (SELECT i.id FROM alert_incidents i WHERE i.rule_id = r.id AND i.status = 'open') AS open_incident_id`;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function toRule(r: RuleRow): AlertRuleRecord {
  return {
    id: r.id,
    name: r.name,
    condition: r.condition,
    threshold: r.threshold,
    windowSeconds: r.window_seconds,
    scope: r.workflow_id !== null ? 'workflow' : r.customer_id !== null ? 'customer' : 'all',
    workflowId: r.workflow_id,
    customerId: r.customer_id,
    webhookUrl: r.webhook_url,
    enabled: r.enabled,
    lastValue: r.last_value,
    lastEvaluatedAt: iso(r.last_evaluated_at),
    lastBreachAt: iso(r.last_breach_at),
    lastNotifiedAt: iso(r.last_notified_at),
    signingSecretSealed: r.signing_secret_sealed,
    openIncidentId: r.open_incident_id,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export interface RuleFields {
  name: string;
  condition: AlertCondition;
  threshold: number;
  windowSeconds: number;
  workflowId: string | null;
  customerId: string | null;
  webhookUrl: string | null;
  enabled: boolean;
}

export async function insertRule(
  db: Sql,
  {
    id,
    orgId,
    rule,
    signingSecretSealed,
  }: { id: string; orgId: string; rule: RuleFields; signingSecretSealed: string },
): Promise<AlertRuleRecord> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO alert_rules (org_id, name, condition, threshold, window_seconds, workflow_id,
       customer_id, webhook_url, enabled, id, signing_secret_sealed)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
    [
      orgId,
      rule.name,
      rule.condition,
      rule.threshold,
      rule.windowSeconds,
      rule.workflowId,
      rule.customerId,
      rule.webhookUrl,
      rule.enabled,
      id,
      signingSecretSealed,
    ],
  );
  const found = row && (await findRule(db, { id: row.id }));
  if (!found) throw new Error('insert returned no row');
  return found;
}

export async function updateRule(
  db: Sql,
  {
    id,
    rule,
    signingSecretSealed,
  }: {
    id: string;
    rule: RuleFields;
    /** A new sealed secret; undefined keeps the one there is. */
    signingSecretSealed?: string | undefined;
  },
): Promise<AlertRuleRecord | null> {
  const rows = await db.query(
    `UPDATE alert_rules SET name = $2, condition = $3, threshold = $4, window_seconds = $5,
       workflow_id = $6, customer_id = $7, webhook_url = $8, enabled = $9, updated_at = now(),
       signing_secret_sealed = COALESCE($10, signing_secret_sealed)
     WHERE id = $1 RETURNING id`,
    [
      id,
      rule.name,
      rule.condition,
      rule.threshold,
      rule.windowSeconds,
      rule.workflowId,
      rule.customerId,
      rule.webhookUrl,
      rule.enabled,
      signingSecretSealed ?? null,
    ],
  );
  return rows.length === 0 ? null : findRule(db, { id });
}

/** Every rule's sealed signing secret, locked for re-wrapping under a new master key. */
export async function lockAllSigningSecrets(
  db: Sql,
): Promise<{ id: string; signingSecretSealed: string }[]> {
  const rows = await db.query<{ id: string; signing_secret_sealed: string }>(
    'SELECT id, signing_secret_sealed FROM alert_rules WHERE signing_secret_sealed IS NOT NULL FOR UPDATE',
  );
  return rows.map((r) => ({ id: r.id, signingSecretSealed: r.signing_secret_sealed }));
}

export async function setSigningSecret(
  db: Sql,
  { id, signingSecretSealed }: { id: string; signingSecretSealed: string },
): Promise<void> {
  await db.query('UPDATE alert_rules SET signing_secret_sealed = $2 WHERE id = $1', [
    id,
    signingSecretSealed,
  ]);
}

export async function removeRule(db: Sql, { id }: { id: string }): Promise<boolean> {
  return (await db.query('DELETE FROM alert_rules WHERE id = $1 RETURNING id', [id])).length > 0;
}

export async function findRule(db: Sql, { id }: { id: string }): Promise<AlertRuleRecord | null> {
  const [row] = await db.query<RuleRow>(
    `SELECT ${RULE_COLUMNS} FROM alert_rules r WHERE r.id = $1`,
    [id],
  );
  return row === undefined ? null : toRule(row);
}

export async function listRules(db: Sql): Promise<AlertRuleRecord[]> {
  const rows = await db.query<RuleRow>(
    `SELECT ${RULE_COLUMNS} FROM alert_rules r ORDER BY r.created_at, r.id`,
  );
  return rows.map(toRule);
}

export async function listEnabledRuleIds(db: Sql): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    'SELECT id FROM alert_rules WHERE enabled ORDER BY id',
  );
  return rows.map((r) => r.id);
}

/** The rule, locked for this evaluation; null when another worker is evaluating it. */
export async function lockRule(db: Sql, { id }: { id: string }): Promise<AlertRuleRecord | null> {
  const locked = await db.query(
    'SELECT id FROM alert_rules WHERE id = $1 AND enabled FOR UPDATE SKIP LOCKED',
    [id],
  );
  return locked.length === 0 ? null : findRule(db, { id });
}

export async function saveEvaluation(
  db: Sql,
  {
    id,
    value,
    at,
    lastBreachAt,
    lastNotifiedAt,
  }: {
    id: string;
    value: number | null;
    at: Date;
    lastBreachAt: Date | null;
    lastNotifiedAt: Date | null;
  },
): Promise<void> {
  await db.query(
    `UPDATE alert_rules SET last_value = $2, last_evaluated_at = $3, last_breach_at = $4,
       last_notified_at = $5 WHERE id = $1`,
    [id, value, at, lastBreachAt, lastNotifiedAt],
  );
}

/** Executions finished in (from, to], optionally of one workflow or one customer. */
export async function windowStats(
  db: Sql,
  {
    from,
    to,
    workflowId,
    customerId,
  }: { from: Date; to: Date; workflowId: string | null; customerId: string | null },
): Promise<{
  finished: number;
  failed: number;
  avgMs: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}> {
  const [row] = await db.query<{
    finished: number;
    failed: number;
    avg_ms: number | null;
    p95_ms: number | null;
    p99_ms: number | null;
  }>(
    `SELECT count(*)::int AS finished,
            count(*) FILTER (WHERE status IN ('failed', 'timeout'))::int AS failed,
            avg(duration_ms)::float8 AS avg_ms,
            percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p95_ms,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY duration_ms)::float8 AS p99_ms
       FROM executions
      WHERE finished_at IS NOT NULL AND finished_at > $1 AND finished_at <= $2
        AND status IN ('completed', 'failed', 'timeout')
        AND ($3::uuid IS NULL OR workflow_id = $3)
        AND ($4::uuid IS NULL OR customer_id = $4)`,
    [from, to, workflowId, customerId],
  );
  return {
    finished: row?.finished ?? 0,
    failed: row?.failed ?? 0,
    avgMs: row?.avg_ms ?? null,
    p95Ms: row?.p95_ms ?? null,
    p99Ms: row?.p99_ms ?? null,
  };
}

interface IncidentRow {
  readonly id: string;
  readonly rule_id: string;
  readonly rule_name: string;
  readonly status: 'open' | 'resolved';
  readonly opened_at: Date;
  readonly opened_value: number;
  readonly peak_value: number;
  readonly resolved_at: Date | null;
  readonly resolved_value: number | null;
  readonly notified_at: Date | null;
}

function toIncident(r: IncidentRow): AlertIncident {
  return {
    id: r.id,
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    status: r.status,
    openedAt: r.opened_at.toISOString(),
    openedValue: r.opened_value,
    peakValue: r.peak_value,
    resolvedAt: iso(r.resolved_at),
    resolvedValue: r.resolved_value,
    notifiedAt: iso(r.notified_at),
  };
}

const INCIDENT_SELECT = `SELECT i.id, i.rule_id, r.name AS rule_name, i.status, i.opened_at,
  i.opened_value, i.peak_value, i.resolved_at, i.resolved_value, i.notified_at
  FROM alert_incidents i JOIN alert_rules r ON r.id = i.rule_id`;

export async function findOpenIncident(
  db: Sql,
  { ruleId }: { ruleId: string },
): Promise<AlertIncident | null> {
  const [row] = await db.query<IncidentRow>(
    `${INCIDENT_SELECT} WHERE i.rule_id = $1 AND i.status = 'open'`,
    [ruleId],
  );
  return row === undefined ? null : toIncident(row);
}

export async function openIncident(
  db: Sql,
  {
    orgId,
    ruleId,
    at,
    value,
    notified,
  }: { orgId: string; ruleId: string; at: Date; value: number; notified: boolean },
): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO alert_incidents (org_id, rule_id, status, opened_at, opened_value, peak_value, notified_at)
     VALUES ($1, $2, 'open', $3, $4, $4, $5) RETURNING id`,
    [orgId, ruleId, at, value, notified ? at : null],
  );
  if (!row) throw new Error('insert returned no row');
  return row.id;
}

/** Records a later value of an open incident (its peak), and its notification once sent. */
export async function touchIncident(
  db: Sql,
  { id, value, notifiedAt }: { id: string; value: number | null; notifiedAt: Date | null },
): Promise<void> {
  await db.query(
    `UPDATE alert_incidents SET peak_value = greatest(peak_value, coalesce($2, peak_value)),
       notified_at = coalesce(notified_at, $3) WHERE id = $1`,
    [id, value, notifiedAt],
  );
}

export async function resolveIncident(
  db: Sql,
  { id, at, value }: { id: string; at: Date; value: number | null },
): Promise<void> {
  await db.query(
    `UPDATE alert_incidents SET status = 'resolved', resolved_at = $2, resolved_value = $3
      WHERE id = $1`,
    [id, at, value],
  );
}

export async function listIncidents(
  db: Sql,
  {
    ruleId,
    status,
    limit,
  }: { ruleId: string | null; status: 'open' | 'resolved' | null; limit: number },
): Promise<AlertIncident[]> {
  const rows = await db.query<IncidentRow>(
    `${INCIDENT_SELECT} WHERE ($1::uuid IS NULL OR i.rule_id = $1) AND ($2::text IS NULL OR i.status = $2)
      ORDER BY i.opened_at DESC, i.id DESC LIMIT $3`,
    [ruleId, status, limit],
  );
  return rows.map(toIncident);
}

export interface AlertNotification {
  id: string;
  ruleId: string;
  incidentId: string;
  kind: 'opened' | 'resolved';
  value: number;
  webhookStatus: number | null;
  webhookError: string | null;
  createdAt: string;
}

export async function insertNotification(
  db: Sql,
  {
    orgId,
    ruleId,
    incidentId,
    kind,
    value,
  }: {
    orgId: string;
    ruleId: string;
    incidentId: string;
    kind: 'opened' | 'resolved';
    value: number;
  },
): Promise<string> {
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO alert_notifications (org_id, rule_id, incident_id, kind, value)
     VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [orgId, ruleId, incidentId, kind, value],
  );
  if (!row) throw new Error('insert returned no row');
  return row.id;
}

export async function recordDelivery(
  db: Sql,
  { id, status, error }: { id: string; status: number | null; error: string | null },
): Promise<void> {
  await db.query(
    'UPDATE alert_notifications SET webhook_status = $2, webhook_error = $3 WHERE id = $1',
    [id, status, error],
  );
}

export async function listNotifications(
  db: Sql,
  { ruleId }: { ruleId: string | null },
): Promise<AlertNotification[]> {
  const rows = await db.query<{
    id: string;
    rule_id: string;
    incident_id: string;
    kind: 'opened' | 'resolved';
    value: number;
    webhook_status: number | null;
    webhook_error: string | null;
    created_at: Date;
  }>(
    `SELECT id, rule_id, incident_id, kind, value, webhook_status, webhook_error, created_at
       FROM alert_notifications WHERE ($1::uuid IS NULL OR rule_id = $1)
      ORDER BY created_at, id`,
    [ruleId],
  );
  return rows.map((r) => ({
    id: r.id,
    ruleId: r.rule_id,
    incidentId: r.incident_id,
    kind: r.kind,
    value: r.value,
    webhookStatus: r.webhook_status,
    webhookError: r.webhook_error,
    createdAt: r.created_at.toISOString(),
  }));
}
