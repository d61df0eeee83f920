/**
 * Workflow runtime under load, over HTTP, on real Postgres (a throwaway database on
 * BENCH_DATABASE_URL):
 *
 *   instant    POST /api/v1/workflows/bench/run of a trivial Instant workflow: the run in a
 *              sandbox process and its execution log row committed before each 200.
 *   standard   the same workflow on the Standard tier: POST answers 202 once the execution is
 *              queued; workers in this process (concurrency N) run them. Reports the accepted
 *              rate, the completion rate and queued→finished latency, read from the log itself.
 *
 * The execution log is counted after each target: every 2xx must have its row.
 */
import { availableParallelism } from 'node:os';
import { buildApp } from '../app/http.ts';
import { loadConfig } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import { createPgDatabase } from '../server/db/pg-database.ts';
import { createLogger } from '../server/logger.ts';
import { createServices } from '../app/services.ts';
import { startWorkers } from '../app/workers.ts';
import type { BenchSettings } from './env.ts';
import { createBenchDatabase, prepareWeftDatabase } from './http-customers.ts';
import { runLoad } from './load.ts';
import { formatTable } from './table.ts';

const SOURCE = 'export default async function (ctx) { return { ok: true, n: ctx.input.n }; }';
const WARMUP_SECONDS = 2;

export interface RuntimeRow {
  target: string;
  connections: number;
  /** Answers per second (200 for Instant, 202 for Standard). */
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Executions in the log after the run, against 2xx answers. */
  logged: number;
  answered: number;
  /** Standard: executions completed per second, and queued→finished latency. */
  completedPerSec?: number;
  e2eP50Ms?: number;
  e2eP99Ms?: number;
}

export async function runRuntimeBench({
  settings,
  workerConcurrency = 16,
  log,
}: {
  settings: BenchSettings;
  workerConcurrency?: number;
  log: (text: string) => void;
}): Promise<RuntimeRow[]> {
  const database = await createBenchDatabase(settings.databaseUrl);
  const rows: RuntimeRow[] = [];
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    WEFT_RATE_LIMIT_PER_MINUTE: '100000000',
    DATABASE_URL: database.url,
    WEFT_WORKER_CONCURRENCY: String(workerConcurrency),
    WEFT_QUEUE_POLL_SECONDS: '0.5',
  });
  const logger = createLogger('silent');
  const db = createPgDatabase({ url: database.url, poolSize: config.databasePoolSize });
  try {
    const key = await prepareWeftDatabase(db);
    const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
    const services = await createServices({
      config,
      db,
      keyring,
      logger,
      queueOptions: { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 10 },
    });
    const app = await buildApp(services);
    const headers = { 'x-fastn-api-key': key };
    for (const [slug, tier] of [
      ['bench', 'instant'],
      ['bench-standard', 'standard'],
    ] as const) {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/workflows',
        headers,
        payload: {
          name: slug,
          slug,
          tier,
          source: SOURCE,
          timeoutMs: tier === 'instant' ? 5_000 : 60_000,
        },
      });
      if (created.statusCode !== 201) throw new Error(`could not create ${slug}: ${created.body}`);
      await app.inject({
        method: 'POST',
        url: `/api/v1/workflows/${slug}/publish`,
        headers,
        payload: { deployTo: ['production'] },
      });
    }
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const count = async (slug: string, status?: string) =>
      Number(
        (
          await db.owner((sql) =>
            sql.query<{ n: string }>(
              `SELECT count(*) AS n FROM executions e JOIN workflows w ON w.id = e.workflow_id
                WHERE w.slug = $1 AND ($2::text IS NULL OR e.status = $2)`,
              [slug, status ?? null],
            ),
          )
        )[0]?.n ?? 0,
      );

    // Instant, at a moderate and at the configured concurrency.
    const body = { input: { n: 1 } };
    log(`instant: warm-up ${WARMUP_SECONDS}s`);
    let answered = 0;
    const warm = await runLoad({
      url: `${address}/api/v1/workflows/bench/run`,
      method: 'POST',
      body,
      headers,
      connections: settings.connections,
      durationSeconds: WARMUP_SECONDS,
    });
    answered += warm.totalRequests - warm.non2xx;
    for (const connections of [...new Set([16, settings.connections])]) {
      log(`instant: ${settings.durationSeconds}s at ${connections} connections`);
      const instant = await runLoad({
        url: `${address}/api/v1/workflows/bench/run`,
        method: 'POST',
        body,
        headers,
        connections,
        durationSeconds: settings.durationSeconds,
      });
      answered += instant.totalRequests - instant.non2xx;
      rows.push({
        target: 'instant',
        connections,
        acceptedPerSec: instant.requestsPerSec,
        p50Ms: instant.p50Ms,
        p99Ms: instant.p99Ms,
        non2xx: instant.non2xx,
        logged: await count('bench'),
        answered,
      });
    }

    // Standard, with this process's workers running the queue.
    const workers = await startWorkers(services);
    log(
      `standard: ${settings.durationSeconds}s of POSTs, workers at concurrency ${workerConcurrency}`,
    );
    const started = Date.now();
    const standard = await runLoad({
      url: `${address}/api/v1/workflows/bench-standard/run`,
      method: 'POST',
      body,
      headers,
      connections: settings.connections,
      durationSeconds: settings.durationSeconds,
    });
    const accepted = standard.totalRequests - standard.non2xx;
    const deadline = Date.now() + 300_000;
    while ((await count('bench-standard', 'completed')) < accepted && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const elapsed = (Date.now() - started) / 1000;
    const latency = (
      await db.owner((sql) =>
        sql.query<{ p50: number; p99: number }>(
          `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                  percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
             FROM (SELECT extract(epoch FROM e.finished_at - e.created_at) * 1000 AS ms
                     FROM executions e JOIN workflows w ON w.id = e.workflow_id
                    WHERE w.slug = 'bench-standard' AND e.status = 'completed') t`,
        ),
      )
    )[0];
    const completed = await count('bench-standard', 'completed');
    rows.push({
      target: `standard (workers ×${workerConcurrency})`,
      connections: settings.connections,
      acceptedPerSec: standard.requestsPerSec,
      p50Ms: standard.p50Ms,
      p99Ms: standard.p99Ms,
      non2xx: standard.non2xx,
      logged: await count('bench-standard'),
      answered: accepted,
      completedPerSec: completed / elapsed,
      e2eP50Ms: Number(latency?.p50 ?? 0),
      e2eP99Ms: Number(latency?.p99 ?? 0),
    });
    await workers.close();
    await app.close();
    await services.close();
  } finally {
    await db.close();
    await database.drop();
  }
  return rows;
}

export function runtimeTable(rows: RuntimeRow[]): string {
  const head = [
    'target',
    'conns',
    'answers/s',
    'p50 ms',
    'p99 ms',
    'non-2xx',
    'logged/answered',
    'completed/s',
    'e2e p50 ms',
    'e2e p99 ms',
  ];
  const body = rows.map((r) => [
    r.target,
    String(r.connections),
    r.acceptedPerSec.toFixed(0),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    String(r.non2xx),
    `${r.logged}/${r.answered}`,
    r.completedPerSec === undefined ? '' : r.completedPerSec.toFixed(0),
    r.e2eP50Ms === undefined ? '' : r.e2eP50Ms.toFixed(0),
    r.e2eP99Ms === undefined ? '' : r.e2eP99Ms.toFixed(0),
  ]);
  return formatTable({ head, rows: body });
}

export const RUNTIME_CPUS = availableParallelism();
