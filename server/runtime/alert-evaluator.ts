// The alert evaluator: every worker evaluates every enabled rule on a timer. A rule is locked for
// its evaluation (FOR UPDATE SKIP LOCKED), and its state is kept on the row, so two workers never
// evaluate it at once and either can take the next turn. The decision itself is `decide`
// (server/modules/alerts/evaluate.ts), a pure function; this file reads the window, applies the
// decision, and delivers what it says to notify, after the transaction that recorded it commits.
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Database } from '../db/database.ts';
import * as alertsRepo from '../db/repositories/alerts.repo.ts';
import { listRegisteredOrgs } from '../db/repositories/orgs.repo.ts';
import type { AlertCondition } from '../domain/alert.ts';
import type { Keyring } from '../crypto/envelope.ts';
import { openAlertSecret } from '../modules/alerts/alerts.service.ts';
import { decide, valueOf } from '../modules/alerts/evaluate.ts';
import { guardedFetch, SsrfError } from '../net/ssrf.ts';

/** How often the workers evaluate the rules. */
export const ALERT_INTERVAL_MS = 15_000;
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface AlertNotice {
  orgId: string;
  notificationId: string;
  ruleId: string;
  ruleName: string;
  condition: AlertCondition;
  threshold: number;
  windowSeconds: number;
  incidentId: string;
  kind: 'opened' | 'resolved';
  value: number;
  at: string;
  webhookUrl: string | null;
  /** The rule's signing secret, sealed; opened only to sign the delivery. */
  signingSecretSealed: string | null;
}

const time = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));
const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

/** Evaluates one rule at `now`; returns the notification to deliver, if any. */
async function evaluateRule({
  db,
  orgId,
  ruleId,
  now,
}: {
  db: Database;
  orgId: string;
  ruleId: string;
  now: Date;
}): Promise<AlertNotice | null> {
  return db.tenant({ orgId }, async (sql) => {
    const rule = await alertsRepo.lockRule(sql, { id: ruleId });
    if (!rule) return null;
    const windowMs = rule.windowSeconds * 1000;
    const stats = await alertsRepo.windowStats(sql, {
      from: new Date(now.getTime() - windowMs),
      to: now,
      workflowId: rule.workflowId,
      customerId: rule.customerId,
    });
    const value = valueOf(rule.condition, stats);
    const incident = await alertsRepo.findOpenIncident(sql, { ruleId });
    const decision = decide({
      value,
      threshold: rule.threshold,
      windowMs,
      now: now.getTime(),
      state: {
        incident: incident && { notified: incident.notifiedAt !== null },
        lastBreachAt: time(rule.lastBreachAt),
        lastNotifiedAt: time(rule.lastNotifiedAt),
      },
    });
    let incidentId = incident?.id ?? null;
    if (decision.open) {
      incidentId = await alertsRepo.openIncident(sql, {
        orgId,
        ruleId,
        at: now,
        value: value ?? 0,
        notified: decision.notify === 'opened',
      });
    } else if (incident && decision.resolve) {
      await alertsRepo.resolveIncident(sql, { id: incident.id, at: now, value });
    } else if (incident) {
      await alertsRepo.touchIncident(sql, {
        id: incident.id,
        value,
        notifiedAt: decision.notify === 'opened' ? now : null,
      });
    }
    await alertsRepo.saveEvaluation(sql, {
      id: ruleId,
      value,
      at: now,
      lastBreachAt: date(decision.state.lastBreachAt),
      lastNotifiedAt: date(decision.state.lastNotifiedAt),
    });
    if (decision.notify === null || incidentId === null) return null;
    const told = value ?? 0;
    const notificationId = await alertsRepo.insertNotification(sql, {
      orgId,
      ruleId,
      incidentId,
      kind: decision.notify,
      value: told,
    });
    return {
      orgId,
      notificationId,
      ruleId,
      ruleName: rule.name,
      condition: rule.condition,
      threshold: rule.threshold,
      windowSeconds: rule.windowSeconds,
      incidentId,
      kind: decision.notify,
      value: told,
      at: now.toISOString(),
      webhookUrl: rule.webhookUrl,
      signingSecretSealed: rule.signingSecretSealed,
    };
  });
}

/**
 * Standard Webhooks headers for a delivery: `webhook-id` (the notification), `webhook-timestamp`
 * and `webhook-signature` = `v1,<base64 HMAC-SHA256 of id.timestamp.body>` under the rule's
 * `whsec_` secret (base64 after its prefix), as Weft's own webhook triggers verify them.
 */
export function signDelivery({
  secret,
  id,
  body,
  now = Date.now(),
}: {
  secret: string;
  id: string;
  body: string;
  now?: number;
}): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${signature}`,
  };
}

/**
 * Tells the log, and the rule's webhook when it has one (through the SSRF guard, signed with
 * the rule's secret), then records how the webhook answered. Delivery is at most once: the
 * notification was recorded first.
 */
async function deliver({
  db,
  keyring,
  logger,
  dispatcher,
  notice,
}: {
  db: Database;
  keyring: Keyring;
  logger: Logger;
  dispatcher: Dispatcher;
  notice: AlertNotice;
}): Promise<void> {
  const { webhookUrl, orgId, notificationId, signingSecretSealed, ...payload } = notice;
  logger.warn({ alert: { orgId, ...payload } }, `alert ${notice.kind}: ${notice.ruleName}`);
  if (webhookUrl === null) return;
  let status: number | null = null;
  let error: string | null = null;
  try {
    const body = JSON.stringify({ type: `alert.${notice.kind}`, ...payload });
    const secret = openAlertSecret({
      keyring,
      orgId,
      rule: { id: notice.ruleId, signingSecretSealed },
    });
    const response = await guardedFetch(
      webhookUrl,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'weft-alerts',
          ...(secret === null ? {} : signDelivery({ secret, id: notificationId, body })),
        },
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        redirect: 'manual',
      },
      { dispatcher },
    );
    status = response.status;
    await response.body?.cancel();
    if (status >= 400) error = `the webhook answered ${status}`;
  } catch (caught) {
    error =
      caught instanceof SsrfError
        ? `refused by the SSRF guard: ${caught.message}`
        : `could not reach the webhook: ${(caught as Error).message}`;
  }
  if (error !== null) logger.warn({ ruleId: notice.ruleId, error }, 'alert webhook failed');
  await db.tenant({ orgId }, (sql) =>
    alertsRepo.recordDelivery(sql, { id: notificationId, status, error }),
  );
}

/** One pass over every org's enabled rules. */
export async function evaluateAlerts({
  db,
  keyring,
  logger,
  dispatcher,
  now = new Date(),
}: {
  db: Database;
  keyring: Keyring;
  logger: Logger;
  dispatcher: Dispatcher;
  now?: Date;
}): Promise<{ evaluated: number; notified: number }> {
  let evaluated = 0;
  let notified = 0;
  for (const orgId of await db.owner((sql) => listRegisteredOrgs(sql))) {
    const ruleIds = await db.tenant({ orgId }, (sql) => alertsRepo.listEnabledRuleIds(sql));
    for (const ruleId of ruleIds) {
      const notice = await evaluateRule({ db, orgId, ruleId, now });
      evaluated++;
      if (notice === null) continue;
      notified++;
      await deliver({ db, keyring, logger, dispatcher, notice });
    }
  }
  return { evaluated, notified };
}
