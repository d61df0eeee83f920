/**
 * Webhook triggers under load, on real Postgres (a throwaway database on BENCH_DATABASE_URL):
 *
 *   accept    POST /hooks/:id as fast as answered for BENCH_WEBHOOK_SECONDS (default 60): each 202
 *             comes after the event is committed. The trigger routes every event to a trivial
 *             Instant workflow. After the run, the bench waits until every event is routed and
 *             counts: 2xx answers = events stored = events routed = executions (nothing lost).
 *   paced     200 events/s for 10 s: event received → execution completed, p50/p99, from the log.
 */
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

export interface WebhookRow {
  target: string;
  connections: number;
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  answered: number;
  stored: number;
  routed: number;
  executions: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  /** Events routed more than a second after they arrived (left to the pending sweeper). */
  routedLate: number;
}

export async function runWebhookBench({
  settings,
  seconds,
  log,
}: {
  settings: BenchSettings;
  seconds: number;
  log: (text: string) => void;
}): Promise<WebhookRow[]> {
  const database = await createBenchDatabase(settings.databaseUrl);
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    WEFT_RATE_LIMIT_PER_MINUTE: '100000000',
    DATABASE_URL: database.url,
  });
  const logger = createLogger('silent');
  const db = createPgDatabase({ url: database.url, poolSize: config.databasePoolSize });
  const rows: WebhookRow[] = [];
  try {
    const key = await prepareWeftDatabase(db);
    const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
    const services = await createServices({ config, db, keyring, logger });
    const app = await buildApp(services);
    const workers = await startWorkers(services);
    const headers = { 'x-fastn-api-key': key };
    await app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      headers,
      payload: {
        name: 'sink',
        source: 'export default async function (ctx) { return { n: ctx.input.n }; }',
      },
    });
    await app.inject({
      method: 'POST',
      url: '/api/v1/workflows/sink/publish',
      headers,
      payload: { deployTo: ['production'] },
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const count = async (sql: string, params: unknown[] = []) =>
      Number((await db.owner((o) => o.query<{ n: string }>(sql, params)))[0]?.n ?? 0);

    for (const phase of [
      { target: 'accept', connections: settings.connections, seconds, rate: undefined },
      { target: 'paced 200/s', connections: 8, seconds: 10, rate: 200 },
    ]) {
      const created = await app.inject({
        method: 'POST',
        url: '/api/v1/triggers',
        headers,
        payload: {
          type: 'webhook',
          name: phase.target,
          routes: [{ workflow: 'sink', filter: 'body.n > 0' }],
        },
      });
      const trigger = created.json<{ id: string }>();
      log(`${phase.target}: ${phase.seconds}s at ${phase.connections} connections`);
      const load = await runLoad({
        url: `${address}/hooks/${trigger.id}`,
        method: 'POST',
        body: { n: 1, note: 'an order was created' },
        connections: phase.connections,
        durationSeconds: phase.seconds,
        ...(phase.rate === undefined ? {} : { rate: phase.rate }),
      });
      const answered = load.totalRequests - load.non2xx;
      log(`${phase.target}: waiting for every event to be routed`);
      const deadline = Date.now() + 600_000;
      while (Date.now() < deadline) {
        const pending = await count(
          `SELECT count(*) AS n FROM trigger_events WHERE trigger_id = $1 AND verdict = 'pending'`,
          [trigger.id],
        );
        if (pending === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const latency = (
        await db.owner((o) =>
          o.query<{ p50: number; p99: number }>(
            `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
               FROM (SELECT extract(epoch FROM x.finished_at - v.received_at) * 1000 AS ms
                       FROM trigger_events v JOIN executions x ON x.id = (v.executions->0->>'executionId')::uuid
                      WHERE v.trigger_id = $1) t`,
            [trigger.id],
          ),
        )
      )[0];
      rows.push({
        target: phase.target,
        connections: phase.connections,
        acceptedPerSec: load.requestsPerSec,
        p50Ms: load.p50Ms,
        p99Ms: load.p99Ms,
        answered,
        stored: await count(`SELECT count(*) AS n FROM trigger_events WHERE trigger_id = $1`, [
          trigger.id,
        ]),
        routed: await count(
          `SELECT count(*) AS n FROM trigger_events WHERE trigger_id = $1 AND verdict = 'routed'`,
          [trigger.id],
        ),
        executions: await count(
          `SELECT count(*) AS n FROM executions WHERE trigger->>'triggerId' = $1 AND status = 'completed'`,
          [trigger.id],
        ),
        e2eP50Ms: Number(latency?.p50 ?? 0),
        e2eP99Ms: Number(latency?.p99 ?? 0),
        routedLate: await count(
          `SELECT count(*) AS n FROM trigger_events
            WHERE trigger_id = $1 AND routed_at > received_at + interval '1 second'`,
          [trigger.id],
        ),
      });
    }
    await workers.close();
    await app.close();
    await services.close();
  } finally {
    await db.close();
    await database.drop();
  }
  return rows;
}

export function webhookTable(rows: WebhookRow[]): string {
  const head = [
    'target',
    'conns',
    'accepted/s',
    'p50 ms',
    'p99 ms',
    'answered',
    'stored',
    'routed',
    'executions',
    'e2e p50 ms',
    'e2e p99 ms',
    'routed late',
  ];
  const body = rows.map((r) => [
    r.target,
    String(r.connections),
    r.acceptedPerSec.toFixed(0),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    String(r.answered),
    String(r.stored),
    String(r.routed),
    String(r.executions),
    r.e2eP50Ms.toFixed(0),
    r.e2eP99Ms.toFixed(0),
    String(r.routedLate),
  ]);
  return formatTable({ head, rows: body });
}
