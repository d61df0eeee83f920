import { isForeignKeyViolation, type Database } from '../../db/database.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import * as usageRepo from '../../db/repositories/usage.repo.ts';
import { isUuid } from '../../domain/common.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import type {
  Quotas,
  SetQuotas,
  UsageMetric,
  UsageQuery,
  UsageReport,
} from '../../domain/usage.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';

/** The API's camelCase field of each metric. */
const FIELD = {
  executions: 'executions',
  action_calls: 'actionCalls',
  agent_tokens: 'agentTokens',
} as const satisfies Record<UsageMetric, keyof Omit<Quotas, 'customerId'>>;

/** The calendar month (UTC) a time falls in, or the one named YYYY-MM. */
export function monthRange(
  month?: string,
  now = new Date(),
): { month: string; from: Date; to: Date } {
  const [y, m] = month
    ? month.split('-').map(Number)
    : [now.getUTCFullYear(), now.getUTCMonth() + 1];
  const from = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, 1));
  const to = new Date(Date.UTC(y ?? 1970, m ?? 1, 1));
  return { month: from.toISOString().slice(0, 7), from, to };
}

function quotasOf(
  rows: readonly { customerId: string; metric: UsageMetric; limit: number }[],
  customerId: string,
): Quotas {
  const quotas: Quotas = { customerId, executions: null, actionCalls: null, agentTokens: null };
  for (const row of rows) if (row.customerId === customerId) quotas[FIELD[row.metric]] = row.limit;
  return quotas;
}

/** Executions, action calls and agent tokens per customer in a month, with their quotas. */
export async function getUsage({
  db,
  tenant,
  query,
  now = new Date(),
}: {
  db: Database;
  tenant: Tenant;
  query: UsageQuery;
  now?: Date;
}): Promise<UsageReport> {
  requirePermission(tenant, 'settings:read');
  const { month, from, to } = monthRange(query.month, now);
  const customerId = query.customerId ?? tenant.customerId;
  return db.tenant(tenant, async (sql) => {
    const counts = await usageRepo.countByCustomer(sql, { from, to, customerId });
    const quotas = await usageRepo.listQuotas(sql, { customerId });
    return {
      month,
      customers: counts.map((c) => {
        const { customerId: _id, ...limits } =
          c.customerId === null
            ? { customerId: '', executions: null, actionCalls: null, agentTokens: null }
            : quotasOf(quotas, c.customerId);
        return { ...c, quotas: limits };
      }),
    };
  });
}

export async function getQuotas({
  db,
  tenant,
  customerId,
}: {
  db: Database;
  tenant: Tenant;
  customerId: string;
}): Promise<Quotas> {
  requirePermission(tenant, 'settings:read');
  return db.tenant(tenant, async (sql) => {
    if (!(await customersRepo.findById(sql, { id: customerId }))) throw noCustomer(customerId);
    return quotasOf(await usageRepo.listQuotas(sql, { customerId }), customerId);
  });
}

function noCustomer(id: string): AppError {
  return new AppError('not_found', `no customer ${id}; list customers to see the ids`);
}

/** Sets (or with null removes) a customer's monthly limits; absent fields stay as they are. */
export async function setQuotas({
  db,
  tenant,
  customerId,
  input,
}: {
  db: Database;
  tenant: Tenant;
  customerId: string;
  input: SetQuotas;
}): Promise<Quotas> {
  requirePermission(tenant, 'settings:write');
  if (!isUuid(customerId)) throw noCustomer(customerId);
  try {
    return await db.tenant(tenant, async (sql) => {
      for (const metric of Object.keys(FIELD) as UsageMetric[]) {
        const limit = input[FIELD[metric]];
        if (limit === undefined) continue;
        await usageRepo.putQuota(sql, { orgId: tenant.orgId, customerId, metric, limit });
      }
      await recordAudit(sql, {
        tenant,
        action: 'customer.quotas.set',
        resourceType: 'customer',
        resourceId: customerId,
        customerId,
        details: { ...input },
      });
      return quotasOf(await usageRepo.listQuotas(sql, { customerId }), customerId);
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw noCustomer(customerId);
    throw error;
  }
}

const WHAT: Record<UsageMetric, string> = {
  executions: 'workflow executions',
  action_calls: 'action calls',
  agent_tokens: 'agent tokens',
};

/**
 * Refuses new work for a customer that has used its monthly quota of `metric` (429
 * quota_exceeded, naming the quota). Executions and action calls are admitted one at a time
 * against a counter (usage_admissions), so starts at the same moment cannot overshoot the
 * limit together. Agent tokens are known only once a run has spent them: a run is refused once
 * the stored runs reach the limit, and runs already going may take the total past it.
 */
export async function enforceQuota({
  db,
  orgId,
  customerId,
  metric,
  now = new Date(),
}: {
  db: Database;
  orgId: string;
  customerId: string;
  metric: UsageMetric;
  now?: Date;
}): Promise<void> {
  const { month, from, to } = monthRange(undefined, now);
  const over = await db.tenant({ orgId, customerId }, async (sql) => {
    const limit = await usageRepo.findQuota(sql, { customerId, metric });
    if (limit === null) return null;
    const stored = await usageRepo.countOne(sql, { metric, customerId, from, to });
    if (metric === 'agent_tokens') return stored >= limit ? { limit, used: stored } : null;
    const day = from.toISOString().slice(0, 10);
    const admitted = await usageRepo.admit(sql, {
      orgId,
      customerId,
      metric,
      month: day,
      stored,
      limit,
    });
    if (admitted !== null) return null;
    const counted = await usageRepo.countAdmitted(sql, { customerId, metric, month: day });
    return { limit, used: Math.max(stored, counted) };
  });
  if (over !== null) {
    throw new AppError(
      'quota_exceeded',
      `customer ${customerId} has used its ${month} quota of ${over.limit} ${WHAT[metric]} (quota ${metric}); raise it with PUT /api/v1/customers/${customerId}/quotas or wait for next month`,
      { quota: metric, limit: over.limit, used: over.used, month, customerId },
    );
  }
}
