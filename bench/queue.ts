/**
 * `npm run bench -- queue`: the workflow job queue (server/queue, pg-boss 12) on real Postgres and
 * on PGlite, with workers woken by LISTEN/NOTIFY on send and with polling alone (every 0.5 s,
 * pg-boss's minimum). Throughput: N no-op jobs sent by 10 concurrent producers and run with
 * concurrency C, until all are marked completed. Latency: from just before `send` to the start
 * of the handler, one job at a time, each after a random pause of 0–500 ms.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Database } from '../server/db/database.ts';
import { createPgDatabase } from '../server/db/pg-database.ts';
import { createPgliteDatabase } from '../server/db/pglite-database.ts';
import { openQueue, QUEUE_SCHEMA, type JobQueue } from '../server/runtime/queue/queue.ts';
import { formatTable } from './table.ts';

export interface QueueRow {
  target: string;
  wake: 'notify' | 'poll 0.5s';
  jobs: number;
  concurrency: number;
  jobsPerSec: number;
  latencySamples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const PRODUCERS = 10;
const RETRY = { limit: 2, delaySeconds: 5, backoff: true, maxDelaySeconds: 60 };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

async function completedCount(db: Database, queue: string): Promise<number> {
  const [rows] = await db.executeSql(
    `SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND state = 'completed'`,
    [queue],
  );
  return (rows?.[0] as { n: number } | undefined)?.n ?? 0;
}

async function throughput({
  db,
  queue,
  jobs,
  concurrency,
}: {
  db: Database;
  queue: JobQueue;
  jobs: number;
  concurrency: number;
}): Promise<number> {
  const name = `bench_tp_${randomBytes(4).toString('hex')}`;
  await queue.ensureQueue({ name, retry: RETRY, expireInSeconds: 60 });
  const stop = await queue.work({ queue: name, concurrency, handler: () => Promise.resolve() });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < jobs) {
        next += 1;
        await queue.send({ queue: name, data: { n: next } });
      }
    }),
  );
  while ((await completedCount(db, name)) < jobs) {
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await stop();
  return jobs / seconds;
}

async function latency({ queue, samples }: { queue: JobQueue; samples: number }) {
  const name = `bench_lat_${randomBytes(4).toString('hex')}`;
  await queue.ensureQueue({ name, retry: RETRY, expireInSeconds: 60 });
  let onStart: (at: number) => void = () => undefined;
  const stop = await queue.work({
    queue: name,
    concurrency: 1,
    handler: () => {
      onStart(performance.now());
      return Promise.resolve();
    },
  });
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Arrivals at random points of an idle worker's polling cycle (0.5 s in the polling rows).
    await new Promise((r) => setTimeout(r, Math.random() * 500));
    const began = new Promise<number>((resolve) => (onStart = resolve));
    const sent = performance.now();
    await queue.send({ queue: name, data: { i } });
    times.push((await began) - sent);
  }
  await stop();
  return times.sort((a, b) => a - b);
}

async function measure({
  target,
  db,
  wakeOnSend,
  jobs,
  concurrency,
  samples,
  log,
}: {
  target: string;
  db: Database;
  wakeOnSend: boolean;
  jobs: number;
  concurrency: number;
  samples: number;
  log: (text: string) => void;
}): Promise<QueueRow> {
  const wake = wakeOnSend ? 'notify' : 'poll 0.5s';
  const errors: Error[] = [];
  const queue = await openQueue({
    db,
    onError: (error) => errors.push(error),
    pollingIntervalSeconds: wakeOnSend ? 2 : 0.5,
    wakeOnSend,
  });
  try {
    log(`${target} (${wake}): ${jobs} jobs, concurrency ${concurrency}`);
    // Warm-up: schema, plans, connections.
    await throughput({ db, queue, jobs: Math.min(200, jobs), concurrency });
    const jobsPerSec = await throughput({ db, queue, jobs, concurrency });
    log(`${target} (${wake}): ${samples} latency samples`);
    const times = await latency({ queue, samples });
    const [first] = errors;
    if (first !== undefined) throw first;
    return {
      target,
      wake,
      jobs,
      concurrency,
      jobsPerSec,
      latencySamples: samples,
      p50Ms: percentile(times, 50),
      p99Ms: percentile(times, 99),
      maxMs: times.at(-1) ?? NaN,
    };
  } finally {
    await queue.close();
  }
}

async function withPgDatabase<T>(serverUrl: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const name = `weft_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end().catch(() => undefined));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createPgDatabase({ url: url.toString(), poolSize: 10 });
  try {
    return await fn(db);
  } finally {
    await db.close();
    const c = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
    await c.connect();
    await c
      .query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      .finally(() => c.end().catch(() => undefined));
  }
}

export async function runQueueBench({
  databaseUrl,
  jobs = 2000,
  concurrency = 10,
  samples = 150,
  log,
}: {
  databaseUrl: string;
  jobs?: number;
  concurrency?: number;
  samples?: number;
  log: (text: string) => void;
}): Promise<QueueRow[]> {
  const rows: QueueRow[] = [];
  for (const wakeOnSend of [true, false]) {
    await withPgDatabase(databaseUrl, async (db) => {
      rows.push(await measure({ target: 'pg', db, wakeOnSend, jobs, concurrency, samples, log }));
    }).catch((error: unknown) => {
      log(`pg skipped: ${error instanceof Error ? error.message : String(error)}`);
    });
    const db = await createPgliteDatabase({});
    try {
      rows.push(
        await measure({ target: 'pglite', db, wakeOnSend, jobs, concurrency, samples, log }),
      );
    } finally {
      await db.close();
    }
  }
  return rows;
}

export function queueTable(rows: QueueRow[]): string {
  const head = ['target', 'wake', 'jobs', 'conc', 'jobs/s', 'p50 ms', 'p99 ms', 'max ms'];
  const cells = rows.map((r) => [
    r.target,
    r.wake,
    String(r.jobs),
    String(r.concurrency),
    r.jobsPerSec.toFixed(0),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    r.maxMs.toFixed(1),
  ]);
  return formatTable({ head, rows: cells, leftColumns: 2 });
}
