/**
 * GET /api/v1/customers under load, three ways, one after the other in one run:
 *
 *   baseline      a bare fastify route doing one SELECT through a pg.Pool: no auth, no tenancy,
 *                 no schemas. The ceiling for this machine, database and pool size.
 *   weft-pg       the real app on Postgres (a throwaway database on BENCH_DATABASE_URL).
 *   weft-pglite   the real app on embedded PGlite, in memory.
 *
 * Baseline and weft-pg read the same database, seeded once; every server listens on loopback
 * in this process, and only the one being measured is running.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import Fastify from 'fastify';
import pg from 'pg';
import type { Logger } from 'pino';
import { createServices } from '../app/services.ts';
import { buildApp } from '../app/http.ts';
import { loadConfig, type Config } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { createPgDatabase } from '../server/db/pg-database.ts';
import { createPgliteDatabase } from '../server/db/pglite-database.ts';
import { operatorTenant } from '../server/domain/tenant.ts';
import { createLogger } from '../server/logger.ts';
import { createCustomer } from '../server/modules/customers/customers.service.ts';
import { createOrganization } from '../server/modules/orgs/orgs.service.ts';
import type { BenchSettings } from './env.ts';
import { runLoad, stopLoad, type LoadResult } from './load.ts';

const PATH = '/api/v1/customers';
const CUSTOMERS = 20;
const WARMUP_SECONDS = 2;
const API_KEY_HEADER = 'x-fastn-api-key';

export type TargetName = 'baseline' | 'weft-pg' | 'weft-pglite';

export interface TargetResult {
  readonly target: TargetName;
  readonly status: 'ok' | 'skipped' | 'failed';
  /** Why the target was skipped or failed. */
  readonly reason?: string;
  readonly load?: LoadResult;
  /** This target's req/s over the baseline's; null for the baseline or without one. */
  readonly ratioToBaseline?: number | null;
}

export interface HttpCustomersReport {
  readonly benchmark: 'http-customers';
  readonly startedAt: string;
  /** The signal that cut the run short, if one did. */
  readonly interrupted: NodeJS.Signals | null;
  readonly node: string;
  readonly cpus: number;
  readonly path: string;
  readonly customers: number;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly poolSize: number;
  /** Server version of BENCH_DATABASE_URL; null when it was unreachable. */
  readonly postgres: string | null;
  readonly results: TargetResult[];
}

interface RunningTarget {
  readonly url: string;
  readonly headers: Record<string, string>;
  close(): Promise<void>;
}

/** A throwaway database on the bench server, dropped by `drop` (safe to call more than once). */
export interface BenchDatabase {
  readonly url: string;
  readonly name: string;
  readonly serverVersion: string;
  drop(): Promise<void>;
}

function configFor(databaseUrl: string | undefined): Config {
  return loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    WEFT_RATE_LIMIT_PER_MINUTE: '100000000',
    ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
  });
}

export async function createBenchDatabase(serverUrl: string): Promise<BenchDatabase> {
  const name = `weft_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  let serverVersion: string;
  try {
    const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
    serverVersion = rows[0]?.server_version ?? '?';
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropping: Promise<void> | undefined;
  return {
    url: url.toString(),
    name,
    serverVersion,
    drop() {
      dropping ??= (async () => {
        const c = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
        await c.connect();
        try {
          // FORCE: a pool left open by a failed step must not keep the database alive.
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await c.end().catch(() => undefined);
        }
      })();
      return dropping;
    },
  };
}

async function listenOnLoopback(app: {
  listen(o: { host: string; port: number }): Promise<string>;
}): Promise<string> {
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return `${address}${PATH}`;
}

/** Migrates and creates an org with CUSTOMERS customers; returns the org's live API key. */
export async function prepareWeftDatabase(db: Database): Promise<string> {
  await migrate(db);
  const created = await createOrganization({
    db,
    name: 'Bench',
    ownerEmail: 'owner@bench.test',
    actorLabel: 'bench',
  });
  const key = created.keys.find((k) => k.kind === 'live')?.key;
  if (key === undefined) throw new Error('the new organization has no live key');
  const tenant = operatorTenant({
    orgId: created.organization.id,
    userId: created.owner.id,
    label: 'bench',
  });
  for (let i = 1; i <= CUSTOMERS; i++) {
    await createCustomer({
      db,
      tenant,
      input: {
        name: `Customer ${i}`,
        externalId: `bench-${i}`,
        metadata: { plan: 'pro', seats: i },
      },
    });
  }
  return key;
}

async function startWeft(
  db: Database,
  key: string,
  config: Config,
  logger: Logger,
): Promise<RunningTarget> {
  const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
  const services = await createServices({ config, logger, db, keyring });
  const app = await buildApp(services);
  app.addHook('onClose', () => services.close());
  try {
    const url = await listenOnLoopback(app);
    return { url, headers: { [API_KEY_HEADER]: key }, close: () => app.close() };
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
}

/** One query, JSON out: what any service on this stack pays at the least. */
async function startBaseline(databaseUrl: string, poolSize: number): Promise<RunningTarget> {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: poolSize,
    application_name: 'weft-bench-baseline',
  });
  pool.on('error', () => undefined);
  const app = Fastify({ logger: false });
  app.get(PATH, async () => {
    const { rows } = await pool.query<{
      id: string;
      external_id: string | null;
      name: string;
      metadata: Record<string, unknown>;
      created_at: Date;
      updated_at: Date;
    }>(
      `SELECT id, external_id, name, metadata, created_at, updated_at FROM customers
        ORDER BY created_at DESC, id DESC LIMIT $1`,
      [50],
    );
    const data = rows.map((r) => ({
      id: r.id,
      externalId: r.external_id,
      name: r.name,
      metadata: r.metadata,
      createdAt: r.created_at.toISOString(),
      updatedAt: r.updated_at.toISOString(),
    }));
    return { data, nextCursor: null };
  });
  try {
    const url = await listenOnLoopback(app);
    return {
      url,
      headers: {},
      async close() {
        await app.close();
        await pool.end();
      },
    };
  } catch (error) {
    await app.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/** One real request first, so a broken target fails loudly instead of benchmarking its 401s. */
async function checkTarget(target: RunningTarget): Promise<void> {
  const res = await fetch(target.url, { headers: target.headers });
  const body = await res.text();
  if (res.status !== 200)
    throw new Error(`GET ${PATH} answered ${res.status}: ${body.slice(0, 300)}`);
  const count = (JSON.parse(body) as { data?: unknown[] }).data?.length;
  if (count !== CUSTOMERS)
    throw new Error(`GET ${PATH} returned ${count} customers, expected ${CUSTOMERS}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Set by SIGINT/SIGTERM: the running load is stopped, no further target starts, and the normal
 * clean-up (close servers, close pools, drop the database) runs. A second signal kills at once.
 */
let interruptedBy: NodeJS.Signals | null = null;

function onSignal(signal: NodeJS.Signals): void {
  interruptedBy = signal;
  stopLoad();
}

/** A function, not a read of the variable, so that no narrowing outlives an await. */
function interruption(): NodeJS.Signals | null {
  return interruptedBy;
}

function skippedIfInterrupted(target: TargetName): TargetResult | null {
  const signal = interruption();
  return signal === null ? null : { target, status: 'skipped', reason: `interrupted (${signal})` };
}

async function measure(
  name: TargetName,
  start: () => Promise<RunningTarget>,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<TargetResult> {
  const skipped = skippedIfInterrupted(name);
  if (skipped !== null) return skipped;
  log(`${name}: starting`);
  let target: RunningTarget | undefined;
  try {
    target = await start();
    await checkTarget(target);
    const options = { url: target.url, connections: settings.connections, headers: target.headers };
    log(`${name}: warming up for ${WARMUP_SECONDS}s`);
    await runLoad({ ...options, durationSeconds: WARMUP_SECONDS });
    log(
      `${name}: measuring for ${settings.durationSeconds}s with ${settings.connections} connections`,
    );
    const load = await runLoad({ ...options, durationSeconds: settings.durationSeconds });
    return { target: name, status: 'ok', load };
  } catch (error) {
    const skipped = skippedIfInterrupted(name);
    if (skipped !== null) return skipped;
    log(`${name}: FAILED: ${messageOf(error)}`);
    return { target: name, status: 'failed', reason: messageOf(error) };
  } finally {
    await target
      ?.close()
      .catch((error: unknown) => log(`${name}: closing failed: ${messageOf(error)}`));
  }
}

/** baseline and weft-pg, on a throwaway database that is dropped whatever happens. */
async function measurePostgres(
  bench: BenchDatabase,
  poolSize: number,
  settings: BenchSettings,
  logger: Logger,
  log: (line: string) => void,
): Promise<TargetResult[]> {
  const { url } = bench;
  const db = createPgDatabase({ url, poolSize });
  try {
    log(`created database ${bench.name}; migrating and seeding it`);
    let key: string;
    try {
      key = await prepareWeftDatabase(db);
    } catch (error) {
      const reason = `could not prepare database ${bench.name}: ${messageOf(error)}`;
      log(reason);
      return [
        { target: 'baseline', status: 'failed', reason },
        { target: 'weft-pg', status: 'failed', reason },
      ];
    }
    return [
      await measure('baseline', () => startBaseline(url, poolSize), settings, log),
      await measure('weft-pg', () => startWeft(db, key, configFor(url), logger), settings, log),
    ];
  } finally {
    await db.close().catch(() => undefined);
    await bench.drop().then(
      () => log(`dropped database ${bench.name}`),
      (error: unknown) =>
        log(`could not drop database ${bench.name} (${messageOf(error)}); drop it by hand`),
    );
  }
}

async function measurePglite(
  settings: BenchSettings,
  logger: Logger,
  log: (line: string) => void,
): Promise<TargetResult> {
  let db: Database | undefined;
  try {
    db = await createPgliteDatabase({});
    const key = await prepareWeftDatabase(db);
    const ready = db;
    return await measure(
      'weft-pglite',
      () => startWeft(ready, key, configFor(undefined), logger),
      settings,
      log,
    );
  } catch (error) {
    log(`weft-pglite: FAILED: ${messageOf(error)}`);
    return { target: 'weft-pglite', status: 'failed', reason: messageOf(error) };
  } finally {
    await db?.close().catch(() => undefined);
  }
}

export async function runHttpCustomers(
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<HttpCustomersReport> {
  const startedAt = new Date().toISOString();
  const logger = createLogger('silent');
  const poolSize = configFor(undefined).databasePoolSize;
  const results: TargetResult[] = [];

  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let postgres: string | null = null;
  try {
    let bench: BenchDatabase | undefined;
    try {
      bench = await createBenchDatabase(settings.databaseUrl);
    } catch (error) {
      const reason = `Postgres at ${redact(settings.databaseUrl)} is unreachable (${messageOf(error)})`;
      log(`${reason}: skipping baseline and weft-pg`);
      results.push(
        { target: 'baseline', status: 'skipped', reason },
        { target: 'weft-pg', status: 'skipped', reason },
      );
    }
    if (bench !== undefined) {
      postgres = bench.serverVersion;
      results.push(...(await measurePostgres(bench, poolSize, settings, logger, log)));
    }
    results.push(
      skippedIfInterrupted('weft-pglite') ?? (await measurePglite(settings, logger, log)),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const baseline = results.find((r) => r.target === 'baseline')?.load?.requestsPerSec;
  return {
    benchmark: 'http-customers',
    startedAt,
    interrupted: interruption(),
    node: process.version,
    cpus: availableParallelism(),
    path: PATH,
    customers: CUSTOMERS,
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: WARMUP_SECONDS,
    poolSize,
    postgres,
    results: results.map((r) => ({
      ...r,
      ratioToBaseline:
        r.target === 'baseline' || r.load === undefined || !baseline
          ? null
          : r.load.requestsPerSec / baseline,
    })),
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'BENCH_DATABASE_URL';
  }
}
