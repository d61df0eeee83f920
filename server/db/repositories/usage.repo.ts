import type { Sql } from '../database.ts';
import type { UsageMetric } from '../../domain/usage.ts';

export interface UsageCounts {
  customerId: string | null;
  executions: number;
  actionCalls: number;
  agentTokens: number;
}

/**
 * Usage per customer in [from, to), counted from the rows the work leaves: executions started,
 * action spans, agent runs' tokens.
 */
export async function countByCustomer(
  db: Sql,
  { from, to, customerId }: { from: Date; to: Date; customerId: string | null },
): Promise<UsageCounts[]> {
  const rows = await db.query<{
    customer_id: string | null;
    executions: string;
    action_calls: string;
    agent_tokens: string;
  }>(
    `WITH e AS (
       SELECT customer_id, count(*) AS n FROM executions
        WHERE created_at >= $1 AND created_at < $2 AND ($3::uuid IS NULL OR customer_id = $3)
        GROUP BY customer_id),
     a AS (
       SELECT customer_id, count(*) AS n FROM trace_spans
        WHERE kind = 'action' AND started_at >= $1 AND started_at < $2
          AND ($3::uuid IS NULL OR customer_id = $3)
        GROUP BY customer_id),
     t AS (
       SELECT customer_id, sum(tokens_in + tokens_out) AS n FROM agent_runs
        WHERE created_at >= $1 AND created_at < $2 AND ($3::uuid IS NULL OR customer_id = $3)
        GROUP BY customer_id),
     q AS (
       SELECT DISTINCT customer_id FROM customer_quotas WHERE ($3::uuid IS NULL OR customer_id = $3))
     SELECT k.customer_id,
            coalesce(e.n, 0)::text AS executions,
            coalesce(a.n, 0)::text AS action_calls,
            coalesce(t.n, 0)::text AS agent_tokens
       FROM (SELECT customer_id FROM e UNION SELECT customer_id FROM a
             UNION SELECT customer_id FROM t UNION SELECT customer_id FROM q) k
       LEFT JOIN e ON e.customer_id IS NOT DISTINCT FROM k.customer_id
       LEFT JOIN a ON a.customer_id IS NOT DISTINCT FROM k.customer_id
       LEFT JOIN t ON t.customer_id IS NOT DISTINCT FROM k.customer_id
      ORDER BY k.customer_id NULLS FIRST`,
    [from, to, customerId],
  );
  return rows.map((r) => ({
    customerId: r.customer_id,
    executions: Number(r.executions),
    actionCalls: Number(r.action_calls),
    agentTokens: Number(r.agent_tokens),
  }));
}

/** One metric of one customer in [from, to). */
export async function countOne(
  db: Sql,
  {
    metric,
    customerId,
    from,
    to,
  }: { metric: UsageMetric; customerId: string; from: Date; to: Date },
): Promise<number> {
  const text =
    metric === 'executions'
      ? `SELECT count(*)::text AS n FROM executions
          WHERE customer_id = $1 AND created_at >= $2 AND created_at < $3`
      : metric === 'action_calls'
        ? `SELECT count(*)::text AS n FROM trace_spans
            WHERE kind = 'action' AND customer_id = $1 AND started_at >= $2 AND started_at < $3`
        : `SELECT coalesce(sum(tokens_in + tokens_out), 0)::text AS n FROM agent_runs
            WHERE customer_id = $1 AND created_at >= $2 AND created_at < $3`;
  const [row] = await db.query<{ n: string }>(text, [customerId, from, to]);
  return Number(row?.n ?? 0);
}

export async function listQuotas(
  db: Sql,
  { customerId }: { customerId: string | null },
): Promise<{ customerId: string; metric: UsageMetric; limit: number }[]> {
  const rows = await db.query<{ customer_id: string; metric: UsageMetric; monthly_limit: string }>(
    `SELECT customer_id, metric, monthly_limit::text FROM customer_quotas
      WHERE ($1::uuid IS NULL OR customer_id = $1) ORDER BY customer_id, metric`,
    [customerId],
  );
  return rows.map((r) => ({
    customerId: r.customer_id,
    metric: r.metric,
    limit: Number(r.monthly_limit),
  }));
}

export async function findQuota(
  db: Sql,
  { customerId, metric }: { customerId: string; metric: UsageMetric },
): Promise<number | null> {
  const [row] = await db.query<{ monthly_limit: string }>(
    'SELECT monthly_limit::text FROM customer_quotas WHERE customer_id = $1 AND metric = $2',
    [customerId, metric],
  );
  return row === undefined ? null : Number(row.monthly_limit);
}

export async function putQuota(
  db: Sql,
  {
    orgId,
    customerId,
    metric,
    limit,
  }: { orgId: string; customerId: string; metric: UsageMetric; limit: number | null },
): Promise<void> {
  if (limit === null) {
    await db.query('DELETE FROM customer_quotas WHERE customer_id = $1 AND metric = $2', [
      customerId,
      metric,
    ]);
    return;
  }
  await db.query(
    `INSERT INTO customer_quotas (org_id, customer_id, metric, monthly_limit) VALUES ($1, $2, $3, $4)
     ON CONFLICT (org_id, customer_id, metric)
     DO UPDATE SET monthly_limit = EXCLUDED.monthly_limit, updated_at = now()`,
    [orgId, customerId, metric, limit],
  );
}

/**
 * Admits one more start of `metric` for a customer in a month if fewer than `limit` were used:
 * the greater of the admitted counter and `stored` (what the stored rows count). The counter
 * row's lock makes concurrent admissions take turns, each seeing the last one's count. Returns
 * the count after admitting, or null when the quota is used up.
 */
export async function admit(
  db: Sql,
  {
    orgId,
    customerId,
    metric,
    month,
    stored,
    limit,
  }: {
    orgId: string;
    customerId: string;
    metric: 'executions' | 'action_calls';
    month: string;
    stored: number;
    limit: number;
  },
): Promise<number | null> {
  const rows = await db.query<{ admitted: string }>(
    `INSERT INTO usage_admissions AS u (org_id, customer_id, metric, month, admitted)
       SELECT $1, $2, $3, $4::date, $5::bigint + 1 WHERE $5::bigint < $6::bigint
     ON CONFLICT (org_id, customer_id, metric, month) DO UPDATE
       SET admitted = greatest(u.admitted, $5::bigint) + 1
       WHERE greatest(u.admitted, $5::bigint) < $6::bigint
     RETURNING admitted::text`,
    [orgId, customerId, metric, month, stored, limit],
  );
  return rows[0] === undefined ? null : Number(rows[0].admitted);
}

/** How many starts of `metric` were admitted for a customer in a month (0 when none). */
export async function countAdmitted(
  db: Sql,
  {
    customerId,
    metric,
    month,
  }: { customerId: string; metric: 'executions' | 'action_calls'; month: string },
): Promise<number> {
  const [row] = await db.query<{ admitted: string }>(
    `SELECT admitted::text FROM usage_admissions
      WHERE customer_id = $1 AND metric = $2 AND month = $3::date`,
    [customerId, metric, month],
  );
  return row === undefined ? 0 : Number(row.admitted);
}
