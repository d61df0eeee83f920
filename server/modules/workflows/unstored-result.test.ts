import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedOrg, withKey, type SeededOrg, type TestApp } from '../../../test/app.ts';
import { createTestDatabase, TEST_DRIVERS } from '../../../test/db.ts';
import { buildApp } from '../../../app/http.ts';
import { loadConfig } from '../../config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../../crypto/envelope.ts';
import type { Database, TxSql } from '../../db/database.ts';
import { createLogger } from '../../logger.ts';
import { startWorkers } from '../../../app/workers.ts';
import { createServices } from '../../../app/services.ts';

const MARKER = 'cannot-store-this-result';

/**
 * The real database, except that storing a successful result that carries MARKER fails, as a
 * write refused by Postgres would: the run's code has finished by then.
 */
function refusingResults(real: Database): Database {
  const refuse = (text: string, params: readonly unknown[] | undefined) =>
    /^\s*(UPDATE executions SET\s+status = \$3|INSERT INTO executions)/.test(text) &&
    (params ?? []).some((p) => typeof p === 'string' && p.includes(MARKER)) &&
    (params ?? []).includes('completed');
  return new Proxy(real, {
    get(target, name, receiver) {
      if (name !== 'tenant') return Reflect.get(target, name, receiver) as unknown;
      return <T>(scope: Parameters<Database['tenant']>[0], fn: (sql: TxSql) => Promise<T>) =>
        target.tenant(scope, (sql) =>
          fn({
            notify: (channel, payload) => sql.notify(channel, payload),
            query: (text, params) =>
              refuse(text, params)
                ? Promise.reject(new Error('simulated: the result was refused'))
                : sql.query(text, params),
          }),
        );
    },
  });
}

describe.each(TEST_DRIVERS)('a run whose result cannot be stored (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let server: Server;
  let effect: string;
  const effects: string[] = [];

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  async function deploy(slug: string, tier: string) {
    const created = await call('POST', '/api/v1/workflows', {
      name: slug,
      slug,
      tier,
      timeoutMs: 10_000,
      source: `export default async function (ctx) {
        await ctx.http.fetch(ctx.input.effect + '?execution=' + ctx.executionId);
        return { marker: ${JSON.stringify(MARKER)} };
      }`,
      ...(tier === 'standard' && {
        retry: { enabled: true, maxAttempts: 3, initialIntervalMs: 1000, backoff: false },
      }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const published = await call('POST', `/api/v1/workflows/${slug}/publish`, {
      deployTo: ['production'],
    });
    expect(published.statusCode, published.body).toBe(201);
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      effects.push(new URL(req.url ?? '/', 'http://x').searchParams.get('execution') ?? '');
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    effect = `http://127.0.0.1:${port}/effect`;

    const database = await createTestDatabase(driver);
    const db = refusingResults(database.db);
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}`,
      WEFT_SANDBOX_PROCESSES: '1',
    });
    const logs: string[] = [];
    const logger = createLogger(
      config.logLevel,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString('utf8'));
          callback();
        },
      }),
    );
    const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
    const services = await createServices({
      config,
      logger,
      db,
      keyring,
      queueOptions: { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1 },
    });
    const app = await buildApp(services);
    await app.ready();
    const running = await startWorkers(services);
    t = {
      app,
      database,
      config,
      keyring,
      logs,
      async close() {
        await running.close();
        await app.close();
        await services.close();
        await database.close();
      },
    };
    org = await seedOrg(t, 'Unstored');
    await deploy('instant-unstored', 'instant');
    await deploy('standard-unstored', 'standard');
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  async function settled(id: string) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await call('GET', `/api/v1/executions/${id}`);
      expect(res.statusCode, res.body).toBe(200);
      const detail = res.json<{ status: string; attempt: number; error: { message: string } }>();
      if (!['queued', 'running'].includes(detail.status)) return detail;
      if (Date.now() > deadline) throw new Error(`execution still ${detail.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('Instant: answers with a failed execution, and the execution is recorded', async () => {
    const res = await call('POST', '/api/v1/workflows/instant-unstored/run', {
      input: { effect },
    });
    expect(res.statusCode, res.body).toBe(200);
    const summary = res.json<{ executionId: string; status: string; error: { message: string } }>();
    expect(summary.status).toBe('failed');
    expect(summary.error.message).toMatch(/result could not be stored/);
    const detail = await settled(summary.executionId);
    expect(detail.status).toBe('failed');
    expect(effects.filter((e) => e === summary.executionId)).toHaveLength(1);
  });

  it('Standard: fails once instead of running its side effects again', async () => {
    const res = await call('POST', '/api/v1/workflows/standard-unstored/run', {
      input: { effect },
    });
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json<{ executionId: string }>().executionId;
    const detail = await settled(id);
    expect(detail.status).toBe('failed');
    expect(detail.error.message).toMatch(/result could not be stored/);
    // Time for a wrongly scheduled retry (1 s apart) to run before counting side effects.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect((await settled(id)).attempt).toBe(1);
    expect(effects.filter((e) => e === id)).toHaveLength(1);
  });
});
