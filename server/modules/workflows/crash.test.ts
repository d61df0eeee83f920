import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/weft.ts');
// Work submitted up front; more is added whenever everything has settled, so every kill lands mid-run
// however slowly restarted workers load.
const EXECUTIONS = 20;
const TOP_UP = 4;
const KILLS = 20;
const MAX_ATTEMPTS = 5;

type Effect = { execution: string; step: string; attempt: number };

// `weft worker` processes on one Postgres, SIGKILLed while they run executions.
describe.skipIf(!TEST_DRIVERS.includes('pg'))('workers killed mid-run', () => {
  let t: TestApp;
  let org: SeededOrg;
  let server: Server;
  let url: string;
  let dataDir: string;
  const effects: Effect[] = [];
  const workers: (ChildProcess | undefined)[] = [undefined, undefined];

  async function startWorker(slot: number): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'worker'], {
      env: {
        PATH: process.env['PATH'] ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: t.database.url ?? '',
        WEFT_DATA_DIR: dataDir,
        WEFT_SSRF_TEST_ALLOWLIST: new URL(url).host,
        WEFT_SANDBOX_PROCESSES: '2',
        WEFT_WORKER_CONCURRENCY: '4',
        WEFT_QUEUE_POLL_SECONDS: '0.5',
        WEFT_QUEUE_MAINTENANCE_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    workers[slot] = child;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('workers started')) resolve();
      });
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
    });
  }

  async function kill(slot: number): Promise<void> {
    const child = workers[slot];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  const statuses = async () =>
    t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      sql.query<{
        id: string;
        status: string;
        attempt: number;
        max_attempts: number;
        output: unknown;
        error: unknown;
      }>('SELECT id, status, attempt, max_attempts, output, error FROM executions'),
    );

  beforeAll(async () => {
    server = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams;
      if (q.get('execution')) {
        effects.push({
          execution: q.get('execution') ?? '',
          step: q.get('step') ?? '',
          attempt: Number(q.get('attempt')),
        });
      }
      setTimeout(() => res.end('{}'), Number(q.get('ms') ?? 0));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-crash-'));
    t = await createTestApp('pg', {
      env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000', WEFT_SSRF_TEST_ALLOWLIST: new URL(url).host },
    });
    org = await seedOrg(t, 'Crashy');
  }, 60_000);

  afterAll(async () => {
    for (const slot of [0, 1]) await kill(slot);
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it(`SIGKILL ${KILLS} times: every execution ends completed or failed, steps never re-run`, async () => {
    const headers = withKey(org.liveKey);
    const source = `export default async function (ctx) {
      const effect = (step) => ctx.http.fetch('${url}/effect?execution=' + ctx.executionId + '&step=' + step + '&attempt=' + ctx.attempt);
      const a = await ctx.step('a', async () => { await effect('a'); return ctx.attempt; });
      await ctx.http.fetch('${url}/slow?ms=600');
      const b = await ctx.step('b', async () => { await effect('b'); return ctx.attempt; });
      await ctx.http.fetch('${url}/slow?ms=300');
      return { a, b, attempt: ctx.attempt };
    }`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      headers,
      payload: {
        name: 'crashy',
        source,
        tier: 'standard',
        timeoutMs: 5_000,
        retry: { maxAttempts: MAX_ATTEMPTS, initialIntervalMs: 1_000, maxIntervalMs: 2_000 },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows/crashy/publish',
      headers,
      payload: { deployTo: ['production'] },
    });
    let submitted = 0;
    const submit = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/workflows/crashy/run',
          headers,
          payload: { input: { i: submitted } },
        });
        expect(res.statusCode).toBe(202);
        submitted++;
      }
    };
    await Promise.all([startWorker(0), startWorker(1)]);
    await submit(EXECUTIONS);

    let kills = 0;
    // Under a full parallel suite a restarted worker takes seconds to load: room for 20 kills.
    const deadline = Date.now() + 180_000;
    while (kills < KILLS && Date.now() < deadline) {
      // Kill only while something is running, so each kill lands mid-run.
      const current = await statuses();
      const running = current.filter((e) => e.status === 'running').length;
      if (running === 0) {
        if (!current.some((e) => e.status === 'queued')) await submit(TOP_UP);
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const slot = kills % 2;
      await kill(slot);
      kills++;
      await startWorker(slot);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(kills).toBe(KILLS);

    // With both workers left alive, every execution settles.
    const settleBy = Date.now() + 90_000;
    let rows = await statuses();
    while (rows.some((e) => e.status === 'queued' || e.status === 'running')) {
      if (Date.now() > settleBy) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
      rows = await statuses();
    }
    expect(rows).toHaveLength(submitted);
    for (const row of rows) {
      expect(['completed', 'failed'], JSON.stringify(row)).toContain(row.status);
      expect(row.attempt).toBeLessThanOrEqual(MAX_ATTEMPTS);
      expect(row.max_attempts).toBe(MAX_ATTEMPTS);
      if (row.status === 'completed') {
        const output = row.output as { a: number; b: number; attempt: number };
        expect(output.a).toBeLessThanOrEqual(output.b);
        expect(output.b).toBeLessThanOrEqual(output.attempt);
      }
    }
    expect(rows.filter((r) => r.status === 'completed').length).toBeGreaterThan(0);
    // The kills landed mid-run: some executions needed more than one attempt.
    expect(rows.some((r) => r.attempt > 1)).toBe(true);

    // A recorded step is never run again by a later attempt.
    const steps = await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      sql.query<{ execution_id: string; name: string; attempt: number }>(
        'SELECT execution_id, name, attempt FROM execution_steps',
      ),
    );
    for (const step of steps) {
      const later = effects.filter(
        (e) =>
          e.execution === step.execution_id && e.step === step.name && e.attempt > step.attempt,
      );
      expect(later, `${step.execution_id} ${step.name}`).toEqual([]);
    }
    // And every completed execution recorded both of its steps.
    for (const row of rows.filter((r) => r.status === 'completed')) {
      expect(
        steps
          .filter((s) => s.execution_id === row.id)
          .map((s) => s.name)
          .sort(),
      ).toEqual(['a', 'b']);
    }
  }, 330_000);

  it('a Long run whose worker dies resumes within a lease, not after its 1-hour timeout', async () => {
    const headers = withKey(org.liveKey);
    const source = `export default async function (ctx) {
      const effect = (step) => ctx.http.fetch('${url}/effect?execution=' + ctx.executionId + '&step=' + step + '&attempt=' + ctx.attempt);
      const first = await ctx.step('first', async () => { await effect('first'); return ctx.attempt; });
      if (ctx.attempt === 1) await ctx.sleep(60_000);
      return { first, finishedOn: ctx.attempt };
    }`;
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      headers,
      payload: { name: 'long-haul', source, tier: 'long', timeoutMs: 3_600_000 },
    });
    expect(created.statusCode, created.body).toBe(201);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows/long-haul/publish',
      headers,
      payload: { deployTo: ['production'] },
    });
    for (const slot of [0, 1]) await kill(slot);
    await startWorker(0);
    const run = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows/long-haul/run',
      headers,
      payload: {},
    });
    const id = run.json().executionId as string;
    const status = async () =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/executions/${id}`, headers })).json();
    // Wait until the first step is recorded and the run is sleeping, then kill its worker.
    for (let i = 0; i < 200 && !effects.some((e) => e.execution === id); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await status()).status).toBe('running');
    await kill(0);
    const killedAt = Date.now();
    await startWorker(1);
    let done = await status();
    while (done.status !== 'completed' && Date.now() - killedAt < 90_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      done = await status();
    }
    expect(done).toMatchObject({
      status: 'completed',
      attempt: 2,
      output: { first: 1, finishedOn: 2 },
    });
    // Taken over once the dead attempt's 30-second lease lapsed (plus a sweep), not after an hour.
    expect(Date.now() - killedAt).toBeLessThan(60_000);
    expect(effects.filter((e) => e.execution === id)).toEqual([
      { execution: id, step: 'first', attempt: 1 },
    ]);
  }, 120_000);
});
