import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  seedOrg,
  withKey,
  type SeededOrg,
  type TestApp,
} from '../../../test/app.ts';
import { TEST_DRIVERS } from '../../../test/db.ts';
import * as executionsRepo from '../../db/repositories/executions.repo.ts';

describe.each(TEST_DRIVERS)('Standard and Long tiers on the queue (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  let server: Server;
  let url: string;
  const effects: { execution: string; step: string; attempt: number }[] = [];

  const call = (method: 'GET' | 'POST' | 'PATCH', path: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: path,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });

  async function deployed(slug: string, source: string, settings: Record<string, unknown>) {
    const created = await call('POST', '/api/v1/workflows', {
      name: slug,
      slug,
      source,
      ...settings,
    });
    expect(created.statusCode, created.body).toBe(201);
    const published = await call('POST', `/api/v1/workflows/${slug}/publish`, {
      deployTo: ['production'],
    });
    expect(published.statusCode, published.body).toBe(201);
  }

  async function settled(id: string, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const detail = (await call('GET', `/api/v1/executions/${id}`)).json();
      if (!['queued', 'running'].includes(detail.status)) return detail;
      if (Date.now() > deadline) throw new Error(`execution still ${detail.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

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
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    t = await createTestApp(driver, {
      workers: true,
      env: {
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
        WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}`,
        WEFT_SANDBOX_PROCESSES: '2',
      },
    });
    org = await seedOrg(t, 'Async');
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 202 and runs the execution on a worker', async () => {
    await deployed(
      'queued',
      'export default async function (ctx) { return { twice: ctx.input.n * 2, attempt: ctx.attempt }; }',
      {
        tier: 'standard',
        timeoutMs: 10_000,
      },
    );
    const res = await call('POST', '/api/v1/workflows/queued/run', { input: { n: 21 } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'queued', tier: 'standard' });
    const done = await settled(res.json().executionId);
    expect(done).toMatchObject({
      status: 'completed',
      output: { twice: 42, attempt: 1 },
      attempt: 1,
    });
    expect(done.startedAt).not.toBeNull();
    expect(done.finishedAt).not.toBeNull();
  });

  it('retries per the policy, skipping steps that finished, and fails after the last attempt', async () => {
    await deployed(
      'flaky',
      `export default async function (ctx) {
        const first = await ctx.step('charge', async () => {
          await ctx.http.fetch('${url}/effect?execution=' + ctx.executionId + '&step=charge&attempt=' + ctx.attempt);
          return ctx.attempt;
        });
        if (ctx.attempt < 3) throw new Error('flaky on attempt ' + ctx.attempt);
        return { chargedOnAttempt: first, attempt: ctx.attempt };
      }`,
      {
        tier: 'standard',
        timeoutMs: 10_000,
        retry: { maxAttempts: 3, initialIntervalMs: 1_000, maxIntervalMs: 2_000 },
      },
    );
    const res = await call('POST', '/api/v1/workflows/flaky/run', {});
    const id = res.json().executionId;
    const done = await settled(id);
    expect(done).toMatchObject({
      status: 'completed',
      attempt: 3,
      output: { chargedOnAttempt: 1, attempt: 3 },
    });
    // The step ran once, on the first attempt; the retries read its recorded result.
    expect(effects.filter((e) => e.execution === id)).toEqual([
      { execution: id, step: 'charge', attempt: 1 },
    ]);
    expect(done.steps).toMatchObject([{ name: 'charge', attempt: 1 }]);
    const attemptLines = done.logs.filter((l: { message: string }) =>
      /^attempt \d/.test(l.message),
    );
    expect(attemptLines.map((l: { message: string }) => l.message)).toEqual([
      expect.stringMatching(/^attempt 1 failed: flaky on attempt 1; retrying in \d+ ms$/),
      expect.stringMatching(/^attempt 2 failed: flaky on attempt 2; retrying in \d+ ms$/),
    ]);

    await deployed(
      'broken',
      'export default async function (ctx) { throw new Error("always " + ctx.attempt); }',
      {
        tier: 'long',
        timeoutMs: 30_000,
        retry: { maxAttempts: 2, initialIntervalMs: 1_000, maxIntervalMs: 1_000 },
      },
    );
    const broken = await call('POST', '/api/v1/workflows/broken/run', {});
    const failed = await settled(broken.json().executionId);
    expect(failed).toMatchObject({ status: 'failed', attempt: 2, tier: 'long' });
    expect(failed.error.message).toBe('always 2');

    await deployed('once', 'export default async function () { throw new Error("no retry"); }', {
      tier: 'standard',
      timeoutMs: 10_000,
      retry: { enabled: false },
    });
    const once = await settled(
      (await call('POST', '/api/v1/workflows/once/run', {})).json().executionId,
    );
    expect(once).toMatchObject({ status: 'failed', attempt: 1, maxAttempts: 1 });
  }, 60_000);

  it('redacts secrets from queued runs too: output, logs and stored step names', async () => {
    const secret = 'tok_live_QUEUED_0123456789';
    const stored = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/secrets/QUEUE_TOKEN',
      headers: withKey(org.liveKey),
      payload: { value: secret },
    });
    expect(stored.statusCode).toBe(201);
    await deployed(
      'queued-secret',
      `export default async function (ctx) {
        const k = await ctx.secrets.get('QUEUE_TOKEN');
        await ctx.step('use-' + k, async () => 1);
        ctx.log.info('token', k);
        return { k };
      }`,
      { tier: 'standard', timeoutMs: 10_000 },
    );
    const res = await call('POST', '/api/v1/workflows/queued-secret/run', {});
    const done = await settled(res.json().executionId);
    expect(done.status).toBe('completed');
    expect(JSON.stringify(done)).not.toContain(secret);
    expect(done.output).toEqual({ k: '[redacted]' });
    expect(done.steps.map((step: { name: string }) => step.name)).toEqual(['use-[redacted]']);
  });

  it('lets ctx.sleep wait in Long runs only', async () => {
    await deployed(
      'napper',
      'export default async function (ctx) { await ctx.sleep(200); return "rested"; }',
      {
        tier: 'long',
        timeoutMs: 30_000,
      },
    );
    const res = await call('POST', '/api/v1/workflows/napper/run', {});
    const done = await settled(res.json().executionId);
    expect(done).toMatchObject({ status: 'completed', output: 'rested' });
    expect(done.durationMs).toBeGreaterThanOrEqual(200);

    await deployed(
      'quick-napper',
      'export default async function (ctx) { await ctx.sleep(10); }',
      {},
    );
    const instant = await call('POST', '/api/v1/workflows/quick-napper/run', {});
    expect(instant.json().status).toBe('failed');
    expect(instant.json().error.message).toMatch(/ctx.sleep is for Long workflows/);
  });

  it('fences an attempt whose lease ran out: it can record no step and no result', async () => {
    await deployed('fenced', 'export default async function () { return 1; }', {
      tier: 'standard',
      timeoutMs: 10_000,
      status: 'inactive',
    });
    const workflow = (await call('GET', '/api/v1/workflows/fenced')).json();
    const orgId = org.organization.id;
    const id = randomUUID();
    const db = t.database.db;
    const versions = (await call('GET', '/api/v1/workflows/fenced/versions')).json();
    await db.tenant({ orgId }, (sql) =>
      executionsRepo.insertMany(sql, [
        {
          id,
          orgId,
          workflowId: workflow.id,
          versionId: versions.data[0].id,
          version: 1,
          environment: 'production',
          tier: 'standard',
          status: 'queued',
          triggeredBy: 'manual',
          trigger: {},
          customerId: null,
          attempt: 0,
          maxAttempts: 3,
          input: null,
          headers: {},
          output: null,
          error: null,
          logs: [],
          spans: [],
          rerunOf: null,
          createdAt: new Date(),
          startedAt: null,
          finishedAt: null,
          durationMs: null,
        },
      ]),
    );
    const paused = await db.tenant({ orgId }, (sql) =>
      executionsRepo.claim(sql, { id, leaseOwner: randomUUID(), leaseMs: 50 }),
    );
    expect(paused?.attempt).toBe(1);
    const pausedOwner = (
      await db.tenant({ orgId }, (sql) =>
        sql.query<{ lease_owner: string }>('SELECT lease_owner FROM executions WHERE id = $1', [
          id,
        ]),
      )
    )[0]?.lease_owner as string;
    // While the lease is live nobody else can take the execution.
    expect(
      await db.tenant({ orgId }, (sql) =>
        executionsRepo.claim(sql, { id, leaseOwner: randomUUID(), leaseMs: 60_000 }),
      ),
    ).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The paused attempt wakes after its lease ran out: it cannot write.
    expect(
      await db.tenant({ orgId }, (sql) =>
        executionsRepo.holdsLease(sql, { id, leaseOwner: pausedOwner }),
      ),
    ).toBe(false);
    const takeover = await db.tenant({ orgId }, (sql) =>
      executionsRepo.claim(sql, { id, leaseOwner: randomUUID(), leaseMs: 60_000 }),
    );
    expect(takeover?.attempt).toBe(2);
    const late = await db.tenant({ orgId }, (sql) =>
      executionsRepo.settle(sql, {
        id,
        leaseOwner: pausedOwner,
        status: 'completed',
        output: 'late',
        error: null,
        logs: [],
        spans: [],
        durationMs: 1,
      }),
    );
    expect(late).toBe(false);
    const row = await db.tenant({ orgId }, (sql) => executionsRepo.get(sql, { id }));
    expect(row).toMatchObject({ status: 'running', attempt: 2, output: null });
  });
});
