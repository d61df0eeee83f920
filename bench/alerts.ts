/**
 * `npm run bench -- alerts`: what the operations features cost on real Postgres with a month of
 * executions (BENCH_DATABASE_URL): one evaluator pass over every alert rule, the quota check that
 * runs before each execution of a customer with a quota, and the month's usage report.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { createPgDatabase } from '../server/db/pg-database.ts';
import * as executionsRepo from '../server/db/repositories/executions.repo.ts';
import type { NewExecution } from '../server/db/repositories/executions.repo.ts';
import { ALERT_CONDITIONS } from '../server/domain/alert.ts';
import { operatorTenant } from '../server/domain/tenant.ts';
import { createLogger } from '../server/logger.ts';
import { createGuardedDispatcher } from '../server/net/ssrf.ts';
import { createAlertRule } from '../server/modules/alerts/alerts.service.ts';
import { createCustomer } from '../server/modules/customers/customers.service.ts';
import { createOrganization } from '../server/modules/orgs/orgs.service.ts';
import { enforceQuota, getUsage, setQuotas } from '../server/modules/usage/usage.service.ts';
import { createWorkflow } from '../server/modules/workflows/workflows.service.ts';
import { evaluateAlerts } from '../server/runtime/alert-evaluator.ts';
import type { BenchSettings } from './env.ts';
import { createBenchDatabase } from './http-customers.ts';
import { formatTable } from './table.ts';

const CUSTOMERS = 20;
const WORKFLOWS = 10;
const RULES = 60;
/** Executions finished in the last hour (what 5-minute windows read) and earlier this month. */
const RECENT = 40_000;
const OLDER = 160_000;

export interface AlertsRow {
  measure: string;
  runs: number;
  medianMs: number;
  p95Ms: number;
}

function stats(samples: number[]): { medianMs: number; p95Ms: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { medianMs: at(0.5), p95Ms: at(0.95) };
}

async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

/** No rule here has a webhook: the keyring only seals their signing secrets. */
const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });

async function seed(db: Database, log: (text: string) => void) {
  const created = await createOrganization({
    db,
    name: 'Alerts bench',
    ownerEmail: 'owner@alerts.bench',
    actorLabel: 'bench',
  });
  const orgId = created.organization.id;
  const tenant = operatorTenant({ orgId, userId: created.owner.id, label: 'bench' });
  const customers: string[] = [];
  for (let i = 0; i < CUSTOMERS; i++) {
    customers.push((await createCustomer({ db, tenant, input: { name: `c${i}` } })).id);
  }
  const workflows: string[] = [];
  for (let i = 0; i < WORKFLOWS; i++) {
    const w = await createWorkflow({
      db,
      tenant,
      input: {
        name: `w${i}`,
        tier: 'instant',
        language: 'javascript',
        source: 'export default async function () { return 1; }',
      },
    });
    workflows.push(w.id);
  }
  const now = Date.now();
  const monthStart = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 1);
  const row = (i: number, finishedAt: number): NewExecution => ({
    id: randomUUID(),
    orgId,
    workflowId: workflows[i % WORKFLOWS] ?? '',
    versionId: randomUUID(),
    version: 1,
    environment: 'production',
    tier: 'instant',
    status: i % 17 === 0 ? 'failed' : 'completed',
    triggeredBy: 'manual',
    trigger: {},
    customerId: customers[i % CUSTOMERS] ?? null,
    attempt: 1,
    maxAttempts: 1,
    input: null,
    headers: {},
    output: null,
    error: null,
    logs: [],
    spans: [],
    rerunOf: null,
    createdAt: new Date(finishedAt - 50),
    startedAt: new Date(finishedAt - 50),
    finishedAt: new Date(finishedAt),
    durationMs: 20 + (i % 97) * 3,
  });
  const total = RECENT + OLDER;
  for (let start = 0; start < total; start += 2_000) {
    const batch: NewExecution[] = [];
    for (let i = start; i < Math.min(total, start + 2_000); i++) {
      const at =
        i < RECENT
          ? now - Math.floor((i / RECENT) * 3_600_000)
          : monthStart +
            Math.floor(((i - RECENT) / OLDER) * Math.max(1, now - 3_600_000 - monthStart));
      batch.push(row(i, at));
    }
    await db.tenant({ orgId }, (sql) => executionsRepo.insertMany(sql, batch));
  }
  log(`seeded ${total} executions`);
  for (let i = 0; i < RULES; i++) {
    const scope = i % 3;
    await createAlertRule({
      db,
      keyring,
      tenant,
      input: {
        name: `rule ${i}`,
        condition: ALERT_CONDITIONS[i % ALERT_CONDITIONS.length] ?? 'error_rate',
        threshold: 1_000_000,
        windowSeconds: 300,
        ...(scope === 1 && { workflow: workflows[i % WORKFLOWS] ?? '' }),
        ...(scope === 2 && { customerId: customers[i % CUSTOMERS] ?? '' }),
      },
    });
  }
  const quotaCustomer = customers[0] ?? '';
  await setQuotas({ db, tenant, customerId: quotaCustomer, input: { executions: 1_000_000 } });
  await db.owner((sql) => sql.exec('VACUUM ANALYZE executions'));
  return { orgId, tenant, quotaCustomer };
}

export async function runAlertsBench({
  settings,
  log,
}: {
  settings: BenchSettings;
  log: (text: string) => void;
}): Promise<AlertsRow[]> {
  const database = await createBenchDatabase(settings.databaseUrl);
  const db = createPgDatabase({ url: database.url, poolSize: 10 });
  // No rule has a webhook here; the evaluator takes the guarded dispatcher it always does.
  const dispatcher = createGuardedDispatcher({ allowlist: [], mode: 'production' });
  try {
    await migrate(db);
    const { orgId, tenant, quotaCustomer } = await seed(db, log);
    const logger = createLogger('silent');
    const rows: AlertsRow[] = [];
    const pass = await time(10, () => evaluateAlerts({ db, keyring, logger, dispatcher }));
    rows.push({ measure: `evaluator pass, ${RULES} rules`, runs: pass.length, ...stats(pass) });
    const quota = await time(200, () =>
      enforceQuota({ db, orgId, customerId: quotaCustomer, metric: 'executions' }),
    );
    rows.push({
      measure: `quota check (${(RECENT + OLDER) / CUSTOMERS} executions this month)`,
      runs: quota.length,
      ...stats(quota),
    });
    const usage = await time(20, () => getUsage({ db, tenant, query: {} }));
    rows.push({
      measure: `usage report, ${CUSTOMERS} customers`,
      runs: usage.length,
      ...stats(usage),
    });
    return rows;
  } finally {
    await dispatcher.close();
    await db.close();
    await database.drop();
  }
}

export function alertsTable(rows: AlertsRow[]): string {
  return formatTable({
    head: ['measure', 'runs', 'median ms', 'p95 ms'],
    rows: rows.map((r) => [r.measure, String(r.runs), r.medianMs.toFixed(1), r.p95Ms.toFixed(1)]),
  });
}
