import { randomBytes, randomUUID } from 'node:crypto';
import { open, seal, type Keyring } from '../../crypto/envelope.ts';
import { isForeignKeyViolation, isUniqueViolation, type Database } from '../../db/database.ts';
import * as alertsRepo from '../../db/repositories/alerts.repo.ts';
import type { AlertNotification, RuleFields } from '../../db/repositories/alerts.repo.ts';
import type {
  AlertIncident,
  AlertRule,
  CreateAlertRule,
  ListIncidentsQuery,
  UpdateAlertRule,
} from '../../domain/alert.ts';
import { isUuid } from '../../domain/common.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireWorkflow } from '../workflows/workflows.service.ts';

function notFound(id: string): AppError {
  return new AppError('not_found', `no alert rule ${id}; list_alert_rules shows the ids`);
}

/** The rule as the API shows it: the evaluator's private state and the sealed secret left out. */
function publicRule(rule: alertsRepo.AlertRuleRecord, signingSecret?: string): AlertRule {
  const {
    lastBreachAt: _breach,
    lastNotifiedAt: _notified,
    signingSecretSealed: _sealed,
    ...shown
  } = rule;
  return signingSecret === undefined ? shown : { ...shown, signingSecret };
}

export function alertSecretAad({ orgId, ruleId }: { orgId: string; ruleId: string }): string {
  return `weft:alert-secret:v1|org:${orgId}|rule:${ruleId}`;
}

/** A new signing secret for a rule, and its sealed form. */
function newSigningSecret({
  keyring,
  orgId,
  ruleId,
}: {
  keyring: Keyring;
  orgId: string;
  ruleId: string;
}): { secret: string; sealed: string } {
  const secret = `whsec_${randomBytes(24).toString('base64')}`;
  return {
    secret,
    sealed: seal({ keyring, plaintext: secret, aad: alertSecretAad({ orgId, ruleId }) }),
  };
}

/** The rule's signing secret in clear, for signing a notification; null when it has none. */
export function openAlertSecret({
  keyring,
  orgId,
  rule,
}: {
  keyring: Keyring;
  orgId: string;
  rule: Pick<alertsRepo.AlertRuleRecord, 'id' | 'signingSecretSealed'>;
}): string | null {
  if (rule.signingSecretSealed === null) return null;
  return open({
    keyring,
    sealed: rule.signingSecretSealed,
    aad: alertSecretAad({ orgId, ruleId: rule.id }),
  });
}

function scopeError(error: unknown): never {
  if (isUniqueViolation(error)) {
    throw new AppError('conflict', 'an alert rule with this name exists already', {
      field: 'name',
    });
  }
  if (isForeignKeyViolation(error)) {
    throw new AppError('not_found', 'the customerId of the scope names no customer of this org');
  }
  throw error;
}

export async function createAlertRule({
  db,
  keyring,
  tenant,
  input,
}: {
  db: Database;
  keyring: Keyring;
  tenant: Tenant;
  input: CreateAlertRule;
}): Promise<AlertRule> {
  requirePermission(tenant, 'settings:write');
  try {
    return await db.tenant(tenant, async (sql) => {
      const rule: RuleFields = {
        name: input.name,
        condition: input.condition,
        threshold: input.threshold,
        windowSeconds: input.windowSeconds,
        workflowId: input.workflow ? (await requireWorkflow(sql, input.workflow)).id : null,
        customerId: input.customerId ?? null,
        webhookUrl: input.webhookUrl ?? null,
        enabled: input.enabled ?? true,
      };
      const id = randomUUID();
      const signing = newSigningSecret({ keyring, orgId: tenant.orgId, ruleId: id });
      const created = await alertsRepo.insertRule(sql, {
        id,
        orgId: tenant.orgId,
        rule,
        signingSecretSealed: signing.sealed,
      });
      await recordAudit(sql, {
        tenant,
        action: 'alert_rule.create',
        resourceType: 'alert_rule',
        resourceId: created.id,
        details: { name: rule.name, condition: rule.condition, threshold: rule.threshold },
      });
      return publicRule(created, signing.secret);
    });
  } catch (error) {
    return scopeError(error);
  }
}

export async function updateAlertRule({
  db,
  keyring,
  tenant,
  id,
  input,
}: {
  db: Database;
  keyring: Keyring;
  tenant: Tenant;
  id: string;
  input: UpdateAlertRule;
}): Promise<AlertRule> {
  requirePermission(tenant, 'settings:write');
  if (!isUuid(id)) throw notFound(id);
  try {
    return await db.tenant(tenant, async (sql) => {
      const current = await alertsRepo.findRule(sql, { id });
      if (!current) throw notFound(id);
      const rule: RuleFields = {
        name: input.name ?? current.name,
        condition: input.condition ?? current.condition,
        threshold: input.threshold ?? current.threshold,
        windowSeconds: input.windowSeconds ?? current.windowSeconds,
        workflowId:
          input.workflow === undefined
            ? current.workflowId
            : input.workflow === null
              ? null
              : (await requireWorkflow(sql, input.workflow)).id,
        customerId: input.customerId === undefined ? current.customerId : input.customerId,
        webhookUrl: input.webhookUrl === undefined ? current.webhookUrl : input.webhookUrl,
        enabled: input.enabled ?? current.enabled,
      };
      if (rule.workflowId !== null && rule.customerId !== null) {
        throw new AppError(
          'bad_request',
          'scope is the whole org, one workflow or one customer: set the other to null',
        );
      }
      // A new secret when asked, or when a rule made before signing gets a webhook.
      const signing =
        input.rotateSigningSecret === true ||
        (current.signingSecretSealed === null && rule.webhookUrl !== null)
          ? newSigningSecret({ keyring, orgId: tenant.orgId, ruleId: id })
          : undefined;
      const updated = await alertsRepo.updateRule(sql, {
        id,
        rule,
        signingSecretSealed: signing?.sealed,
      });
      if (!updated) throw notFound(id);
      await recordAudit(sql, {
        tenant,
        action: 'alert_rule.update',
        resourceType: 'alert_rule',
        resourceId: id,
        details: { fields: Object.keys(input) },
      });
      return publicRule(updated, signing?.secret);
    });
  } catch (error) {
    return scopeError(error);
  }
}

export async function deleteAlertRule({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<void> {
  requirePermission(tenant, 'settings:write');
  if (!isUuid(id)) throw notFound(id);
  await db.tenant(tenant, async (sql) => {
    if (!(await alertsRepo.removeRule(sql, { id }))) throw notFound(id);
    await recordAudit(sql, {
      tenant,
      action: 'alert_rule.delete',
      resourceType: 'alert_rule',
      resourceId: id,
    });
  });
}

export async function listAlertRules({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<AlertRule[]> {
  requirePermission(tenant, 'workflows:read');
  return (await db.tenant(tenant, (sql) => alertsRepo.listRules(sql))).map((r) => publicRule(r));
}

export async function getAlertRule({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<AlertRule> {
  requirePermission(tenant, 'workflows:read');
  if (!isUuid(id)) throw notFound(id);
  const rule = await db.tenant(tenant, (sql) => alertsRepo.findRule(sql, { id }));
  if (!rule) throw notFound(id);
  return publicRule(rule);
}

export async function listAlertIncidents({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: ListIncidentsQuery;
}): Promise<AlertIncident[]> {
  requirePermission(tenant, 'workflows:read');
  return db.tenant(tenant, (sql) =>
    alertsRepo.listIncidents(sql, {
      ruleId: query.ruleId ?? null,
      status: query.status ?? null,
      limit: query.limit,
    }),
  );
}

export async function listAlertNotifications({
  db,
  tenant,
  ruleId,
}: {
  db: Database;
  tenant: Tenant;
  ruleId: string | null;
}): Promise<AlertNotification[]> {
  requirePermission(tenant, 'workflows:read');
  return db.tenant(tenant, (sql) => alertsRepo.listNotifications(sql, { ruleId }));
}
