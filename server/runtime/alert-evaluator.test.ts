// Alerts on synthetic executions: rows written to the executions table as runs leave them, rules
// created through the API, the evaluator run at chosen times, notifications sent to a webhook on
// loopback (allowed by the SSRF guard's test allowlist) and to the log.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';
import * as alertsRepo from '../db/repositories/alerts.repo.ts';
import * as executionsRepo from '../db/repositories/executions.repo.ts';
import type { AlertCondition } from '../domain/alert.ts';
import type { ExecutionStatus } from '../domain/workflow.ts';
import { createLogger } from '../logger.ts';
import { createGuardedDispatcher, guardSettings } from '../net/ssrf.ts';
import { verifyStandardWebhook } from '../modules/triggers/hooks.ts';
import { evaluateAlerts } from './alert-evaluator.ts';

const WINDOW_S = 60;
const T0 = Date.parse('2026-03-01T12:00:00Z');

interface Received {
  type: string;
  ruleName: string;
  value: number;
  at: string;
  /** Whether the delivery's Standard Webhooks signature verified with its rule's secret. */
  signed: boolean;
}

describe.each(TEST_DRIVERS)('alert evaluator on executions (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let server: Server;
  let hookUrl: string;
  let workflowId: string;
  const received: Received[] = [];
  /** Each rule's signing secret by name, as its creation showed it (once). */
  const secrets = new Map<string, string>();
  const logLines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(chunk.toString('utf8'));
        callback();
      },
    }),
  );
  let dispatcher: ReturnType<typeof createGuardedDispatcher>;

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: withKey(org.liveKey), ...(payload && { payload }) });

  async function customer(name: string): Promise<string> {
    const res = await api('POST', '/api/v1/customers', { name });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async function rule(body: Record<string, unknown>): Promise<string> {
    const res = await api('POST', '/api/v1/alert-rules', { windowSeconds: WINDOW_S, ...body });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<{ id: string; signingSecret: string }>();
    expect(created.signingSecret).toMatch(/^whsec_/);
    secrets.set(String(body['name']), created.signingSecret);
    // Shown when made, never again.
    const shown = await api('GET', `/api/v1/alert-rules/${created.id}`);
    expect(shown.json()).not.toHaveProperty('signingSecret');
    expect(shown.body).not.toContain(created.signingSecret);
    return created.id;
  }

  /** Executions of a customer, finished at the given offsets (ms from T0) with these outcomes. */
  async function executions(
    customerId: string,
    rows: readonly { at: number; status?: ExecutionStatus; durationMs?: number }[],
  ): Promise<void> {
    const orgId = org.organization.id;
    await t.database.db.tenant({ orgId }, (sql) =>
      executionsRepo.insertMany(
        sql,
        rows.map((r) => {
          const finishedAt = new Date(T0 + r.at);
          const durationMs = r.durationMs ?? 100;
          return {
            id: randomUUID(),
            orgId,
            workflowId,
            versionId: randomUUID(),
            version: 1,
            environment: 'production',
            tier: 'instant' as const,
            status: r.status ?? 'completed',
            triggeredBy: 'manual' as const,
            trigger: {},
            customerId,
            attempt: 1,
            maxAttempts: 1,
            input: null,
            headers: {},
            output: null,
            error: r.status === 'failed' ? { kind: 'error', message: 'boom' } : null,
            logs: [],
            spans: [],
            rerunOf: null,
            createdAt: new Date(finishedAt.getTime() - durationMs),
            startedAt: new Date(finishedAt.getTime() - durationMs),
            finishedAt,
            durationMs,
          };
        }),
      ),
    );
  }

  const evaluate = (offsetMs: number) =>
    evaluateAlerts({
      db: t.database.db,
      keyring: t.keyring,
      logger,
      dispatcher,
      now: new Date(T0 + offsetMs),
    });

  const notifications = (ruleId: string) =>
    t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      alertsRepo.listNotifications(sql, { ruleId }),
    );

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        const notice = JSON.parse(rawBody.toString('utf8')) as Omit<Received, 'signed'>;
        const verdict = verifyStandardWebhook({
          secret: secrets.get(notice.ruleName) ?? 'none',
          headers: req.headers,
          rawBody,
          toleranceSeconds: 300,
        });
        received.push({ ...notice, signed: verdict.ok });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    hookUrl = `http://127.0.0.1:${port}/alerts`;
    t = await createTestApp(driver, {
      env: { WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}` },
    });
    dispatcher = createGuardedDispatcher(guardSettings(t.config));
    org = await seedOrg(t, 'Alerts');
    const created = await api('POST', '/api/v1/workflows', {
      name: 'sync',
      slug: 'sync',
      source: 'export default async function (ctx) { return ctx.input; }',
    });
    expect(created.statusCode).toBe(201);
    workflowId = created.json<{ id: string }>().id;
  }, 60_000);
  afterAll(async () => {
    await dispatcher.close();
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  // Each condition: what puts the value above its threshold, and what brings it back below.
  const cases: {
    condition: AlertCondition;
    threshold: number;
    high: { status?: ExecutionStatus; durationMs?: number }[];
    low: { status?: ExecutionStatus; durationMs?: number }[];
  }[] = [
    {
      condition: 'error_rate',
      threshold: 10,
      high: [{ status: 'failed' }, { status: 'timeout' }, {}, {}, {}], // 40%
      low: Array.from({ length: 10 }, () => ({})), // 0%
    },
    {
      condition: 'latency_p99',
      threshold: 1000,
      high: [...Array.from({ length: 9 }, () => ({ durationMs: 100 })), { durationMs: 9000 }],
      low: Array.from({ length: 10 }, () => ({ durationMs: 100 })),
    },
    {
      condition: 'latency_p95',
      threshold: 1000,
      high: [...Array.from({ length: 9 }, () => ({ durationMs: 100 })), { durationMs: 9000 }],
      low: Array.from({ length: 10 }, () => ({ durationMs: 900 })),
    },
    {
      condition: 'latency_avg',
      threshold: 500,
      high: Array.from({ length: 4 }, () => ({ durationMs: 2000 })),
      low: Array.from({ length: 4 }, () => ({ durationMs: 200 })),
    },
    {
      condition: 'throughput',
      threshold: 5,
      high: Array.from({ length: 8 }, () => ({})),
      low: Array.from({ length: 2 }, () => ({})),
    },
    {
      condition: 'failure_count',
      threshold: 2,
      high: Array.from({ length: 3 }, () => ({ status: 'failed' as const })),
      low: [{}, {}, { status: 'failed' as const }],
    },
  ];

  it('each condition fires above its threshold and resolves below it', async () => {
    const rules = new Map<AlertCondition, string>();
    for (const c of cases) {
      const customerId = await customer(`c-${c.condition}`);
      rules.set(
        c.condition,
        await rule({
          name: c.condition,
          condition: c.condition,
          threshold: c.threshold,
          customerId,
          webhookUrl: hookUrl,
        }),
      );
      // Above: finished in the 30 s before T0. Below: in the window ending at T0 + 100 s.
      await executions(
        customerId,
        c.high.map((h, i) => ({ ...h, at: -30_000 + i * 100 })),
      );
      await executions(
        customerId,
        c.low.map((l, i) => ({ ...l, at: 50_000 + i * 100 })),
      );
    }
    // Nothing before the executions.
    await evaluate(-60_000);
    expect(received).toEqual([]);

    await evaluate(0);
    for (const c of cases) {
      const ruleId = rules.get(c.condition) ?? '';
      const shown = (await api('GET', `/api/v1/alert-rules/${ruleId}`)).json<{
        lastValue: number;
        openIncidentId: string | null;
      }>();
      expect(shown.lastValue, c.condition).toBeGreaterThan(c.threshold);
      expect(shown.openIncidentId, c.condition).not.toBeNull();
    }
    expect(received.map((r) => `${r.type} ${r.ruleName}`).sort()).toEqual(
      cases.map((c) => `alert.opened ${c.condition}`).sort(),
    );
    // Each delivery is signed with its own rule's secret (and would fail with another's).
    expect(received.every((r) => r.signed)).toBe(true);

    // Still above a little later: no second notification.
    await evaluate(20_000);
    expect(received).toHaveLength(cases.length);

    // 100 s: the window holds only the low executions, and the last breach is a window old.
    await evaluate(100_000);
    for (const c of cases) {
      const ruleId = rules.get(c.condition) ?? '';
      const shown = (await api('GET', `/api/v1/alert-rules/${ruleId}`)).json<{
        lastValue: number;
        openIncidentId: string | null;
      }>();
      expect(shown.lastValue, c.condition).toBeLessThan(c.threshold);
      expect(shown.openIncidentId, c.condition).toBeNull();
      const told = await notifications(ruleId);
      expect(
        told.map((n) => [n.kind, n.webhookStatus]),
        c.condition,
      ).toEqual([
        ['opened', 204],
        ['resolved', 204],
      ]);
    }
    expect(received.filter((r) => r.type === 'alert.resolved')).toHaveLength(cases.length);
    const incidents = (await api('GET', '/api/v1/alert-incidents?status=resolved')).json<{
      data: { ruleName: string; peakValue: number; resolvedValue: number }[];
    }>().data;
    expect(incidents.map((i) => i.ruleName).sort()).toEqual(cases.map((c) => c.condition).sort());
    // The log is a target too.
    expect(logLines.filter((l) => l.includes('alert opened')).length).toBeGreaterThanOrEqual(
      cases.length,
    );
    // Neither the secrets nor their sealed form reach the log.
    expect(logLines.join('\n')).not.toMatch(/whsec_|signingSecret/);
  });

  it('makes a new signing secret on request, and one for an older rule given a webhook', async () => {
    const id = await rule({ name: 'rotated', condition: 'failure_count', threshold: 1 });
    const first = secrets.get('rotated');
    const rotated = await api('PATCH', `/api/v1/alert-rules/${id}`, { rotateSigningSecret: true });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const second = rotated.json<{ signingSecret?: string }>().signingSecret;
    expect(second).toMatch(/^whsec_/);
    expect(second).not.toBe(first);
    // Other changes keep the secret and do not show it.
    const renamed = await api('PATCH', `/api/v1/alert-rules/${id}`, { threshold: 2 });
    expect(renamed.json()).not.toHaveProperty('signingSecret');
    // A rule made before signing has none until it gets a webhook.
    await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      sql.query('UPDATE alert_rules SET signing_secret_sealed = NULL WHERE id = $1', [id]),
    );
    const given = await api('PATCH', `/api/v1/alert-rules/${id}`, { webhookUrl: hookUrl });
    expect(given.json<{ signingSecret?: string }>().signingSecret).toMatch(/^whsec_/);
  });

  it('a value oscillating at the threshold notifies at most once per window', async () => {
    const customerId = await customer('flapping');
    const ruleId = await rule({
      name: 'flapping throughput',
      condition: 'throughput',
      threshold: 5,
      customerId,
      webhookUrl: hookUrl,
    });
    // Every 10 s for 15 minutes, 0–2 executions finish; the window count wanders around 5.
    const STEP = 10_000;
    const steps = 90;
    const base = 1_000_000;
    const perStep = Array.from(
      { length: steps },
      (_, k) => [1, 0, 2, 1, 0, 1, 2, 1, 0, 2, 0][k % 11] ?? 0,
    );
    await executions(
      customerId,
      perStep.flatMap((n, k) =>
        Array.from({ length: n }, (_, j) => ({ at: base + k * STEP - 5_000 + j })),
      ),
    );
    const counts: number[] = [];
    for (let k = 0; k < steps; k++) {
      await evaluate(base + k * STEP);
      const shown = await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
        alertsRepo.findRule(sql, { id: ruleId }),
      );
      counts.push(shown?.lastValue ?? 0);
    }
    // The value really did cross the threshold, many times, both ways.
    const crossings = counts.filter((v, i) => i > 0 && v > 5 !== (counts[i - 1] ?? 0) > 5).length;
    expect(crossings).toBeGreaterThan(10);
    const told = await notifications(ruleId);
    expect(told.length).toBeGreaterThanOrEqual(1);
    // The evaluation times (what the webhook was told) are what count, not the database clock.
    const atOf = received
      .filter((r) => r.ruleName === 'flapping throughput')
      .map((r) => Date.parse(r.at));
    expect(atOf).toHaveLength(told.length);
    for (let i = 1; i < atOf.length; i++) {
      expect((atOf[i] ?? 0) - (atOf[i - 1] ?? 0)).toBeGreaterThanOrEqual(WINDOW_S * 1000);
    }
  });

  it('a webhook to a private address is refused by the SSRF guard and the log still gets it', async () => {
    const customerId = await customer('guarded');
    const ruleId = await rule({
      name: 'guarded',
      condition: 'failure_count',
      threshold: 0,
      customerId,
      webhookUrl: 'http://127.0.0.1:8181/hook',
    });
    await executions(customerId, [{ at: 2_000_000, status: 'failed' }]);
    await evaluate(2_000_001);
    const [told] = await notifications(ruleId);
    expect(told?.kind).toBe('opened');
    expect(told?.webhookStatus).toBeNull();
    expect(told?.webhookError).toMatch(/SSRF guard/);
    expect(logLines.some((l) => l.includes('alert opened: guarded'))).toBe(true);
  });
});
