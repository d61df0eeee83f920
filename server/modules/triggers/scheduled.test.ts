import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
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
import { systemTenant } from '../../domain/tenant.ts';
import { createTrigger } from './triggers.service.ts';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/weft.ts');

async function setup(t: TestApp, org: SeededOrg) {
  const headers = withKey(org.liveKey);
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/workflows',
    headers,
    payload: {
      name: 'tick',
      source:
        'export default async function (ctx) { return { input: ctx.input, by: ctx.trigger.type }; }',
    },
  });
  await t.app.inject({
    method: 'POST',
    url: '/api/v1/workflows/tick/publish',
    headers,
    payload: { deployTo: ['production'] },
  });
}

const ticks = async (t: TestApp, org: SeededOrg, triggerId: string) =>
  t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
    sql.query<{ tick_at: Date; verdict: string; executions: { executionId: string }[] }>(
      'SELECT tick_at, verdict, executions FROM trigger_events WHERE trigger_id = $1 ORDER BY tick_at',
      [triggerId],
    ),
  );

describe.each(TEST_DRIVERS)('scheduler triggers (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;

  beforeAll(async () => {
    t = await createTestApp(driver, {
      workers: true,
      env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    org = await seedOrg(t, 'Clockwork');
    await setup(t, org);
  }, 60_000);
  afterAll(() => t.close());

  it('previews the next runs and checks schedules on save', async () => {
    const preview = await t.app.inject({
      method: 'POST',
      url: '/api/v1/triggers/schedule-preview',
      headers: withKey(org.liveKey),
      payload: {
        schedule: { preset: 'weekly', days: ['mon', 'fri'], time: '09:00' },
        timezone: 'America/New_York',
        count: 4,
      },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const runs = preview.json().nextRuns.map((r: string) => new Date(r));
    expect(runs).toHaveLength(4);
    for (const run of runs) {
      const local = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        weekday: 'short',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      }).format(run);
      expect(local).toMatch(/^(Mon|Fri) 09:00$/);
    }
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/triggers',
      headers: withKey(org.liveKey),
      payload: {
        type: 'scheduler',
        name: 'broken',
        scheduler: { schedule: { preset: 'cron', expression: '61 * * * *' }, timezone: 'UTC' },
      },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.message).toMatch(/schedule\.expression/);
  });

  it('dead-letters the event of a queued execution that fails for good', async () => {
    const headers = withKey(org.liveKey);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows',
      headers,
      payload: {
        name: 'queued-fail',
        tier: 'standard',
        timeoutMs: 10_000,
        retry: { enabled: false },
        source: 'export default async function () { throw new Error("downstream is down"); }',
      },
    });
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/workflows/queued-fail/publish',
      headers,
      payload: { deployTo: ['production'] },
    });
    const trigger = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/triggers',
        headers,
        payload: { type: 'webhook', name: 'to queue', routes: [{ workflow: 'queued-fail' }] },
      })
    ).json();
    const received = await t.app.inject({
      method: 'POST',
      url: `/hooks/${trigger.id}`,
      headers: { 'content-type': 'application/json' },
      payload: { n: 1 },
    });
    expect(received.statusCode).toBe(202);
    const eventId = received.json().eventId;
    let event: { verdict: string; deadLetter: boolean; error: string | null } | undefined;
    for (let i = 0; i < 200; i++) {
      event = (
        await t.app.inject({ method: 'GET', url: `/api/v1/events/${eventId}`, headers })
      ).json();
      if (event?.deadLetter) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(event).toMatchObject({ verdict: 'failed', deadLetter: true });
    expect(event?.error).toMatch(/execution failed: downstream is down/);
  });

  it('fires every tick with its payload as ctx.input, and stops when inactive', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/triggers',
      headers: withKey(org.liveKey),
      payload: {
        type: 'scheduler',
        name: 'every second',
        scheduler: { schedule: { preset: 'interval', every: 1, unit: 'seconds' }, timezone: 'UTC' },
        routes: [{ workflow: 'tick', payload: { report: 'daily' } }],
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const trigger = created.json();
    expect(trigger.scheduler.nextRunAt).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/triggers/${trigger.id}`,
      headers: withKey(org.liveKey),
      payload: { status: 'inactive' },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const fired = await ticks(t, org, trigger.id);
    expect(fired.length).toBeGreaterThanOrEqual(2);
    expect(fired.length).toBeLessThanOrEqual(4);
    const first = fired[0]?.executions[0]?.executionId;
    const execution = await t.app.inject({
      method: 'GET',
      url: `/api/v1/executions/${first}`,
      headers: withKey(org.liveKey),
    });
    expect(execution.json()).toMatchObject({
      status: 'completed',
      triggeredBy: 'scheduler',
      output: { input: { report: 'daily' }, by: 'scheduler' },
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await ticks(t, org, trigger.id)).toHaveLength(fired.length);
  });
  it('a schedule made for one customer runs as that customer', async () => {
    const customer = await t.app.inject({
      method: 'POST',
      url: '/api/v1/customers',
      headers: withKey(org.liveKey),
      payload: { name: 'Ticking Co' },
    });
    expect(customer.statusCode, customer.body).toBe(201);
    const customerId = customer.json().id as string;
    // As the connect widget's activation makes it: a tenant scoped to the customer.
    const tenant = systemTenant({
      orgId: org.organization.id,
      customerId,
      actorId: null,
      label: 'test',
      permissions: ['workflows:create', 'workflows:update', 'workflows:read'],
    });
    const trigger = await createTrigger({
      db: t.database.db,
      keyring: t.keyring,
      runtime: undefined as never,
      hookUrl: (id) => `http://127.0.0.1/hooks/${id}`,
      tenant,
      input: {
        type: 'scheduler',
        name: 'per customer',
        scheduler: { schedule: { preset: 'interval', every: 1, unit: 'seconds' }, timezone: 'UTC' },
        routes: [{ workflow: 'tick', environment: 'production', headers: {}, payload: {} }],
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/triggers/${trigger.id}`,
      headers: withKey(org.liveKey),
      payload: { status: 'inactive' },
    });
    const fired = await ticks(t, org, trigger.id);
    expect(fired.length).toBeGreaterThanOrEqual(1);
    const ids = fired.flatMap((f) => f.executions.map((e) => e.executionId));
    expect(ids.length).toBeGreaterThanOrEqual(1);
    const rows = await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      sql.query<{ customer_id: string | null }>(
        'SELECT customer_id FROM executions WHERE id = ANY($1::uuid[])',
        [ids],
      ),
    );
    expect(rows.map((r) => r.customer_id)).toEqual(ids.map(() => customerId));
  });
});

// Two `weft worker` processes on one Postgres: every tick of a 1-second schedule fires once.
describe.skipIf(!TEST_DRIVERS.includes('pg'))('scheduler across worker processes', () => {
  let t: TestApp;
  let org: SeededOrg;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    t = await createTestApp('pg', { env: { WEFT_RATE_LIMIT_PER_MINUTE: '100000' } });
    org = await seedOrg(t, 'Twins');
    await setup(t, org);
  }, 60_000);
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await t.close();
  });

  it('two workers, a 1-second interval for 30 s: each tick fires exactly once', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-twins-'));
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [BIN, 'worker'], {
        env: {
          PATH: process.env['PATH'] ?? '',
          NODE_ENV: 'test',
          LOG_LEVEL: 'info',
          DATABASE_URL: t.database.url ?? '',
          WEFT_DATA_DIR: dataDir,
          WEFT_SANDBOX_PROCESSES: '1',
          WEFT_QUEUE_POLL_SECONDS: '0.5',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      workers.push(child);
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('workers started')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
      });
    }
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/triggers',
      headers: withKey(org.liveKey),
      payload: {
        type: 'scheduler',
        name: 'every second',
        scheduler: { schedule: { preset: 'interval', every: 1, unit: 'seconds' }, timezone: 'UTC' },
        routes: [{ workflow: 'tick' }],
      },
    });
    const trigger = created.json();
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/triggers/${trigger.id}`,
      headers: withKey(org.liveKey),
      payload: { status: 'inactive' },
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const fired = await ticks(t, org, trigger.id);
    const seconds = fired.map((f) => f.tick_at.getTime());
    // Each tick once, one second apart, with none missing.
    expect(new Set(seconds).size).toBe(seconds.length);
    for (let i = 1; i < seconds.length; i++) {
      expect((seconds[i] ?? 0) - (seconds[i - 1] ?? 0)).toBe(1_000);
    }
    expect(seconds.length).toBeGreaterThanOrEqual(28);
    expect(seconds.length).toBeLessThanOrEqual(32);
    // And each became exactly one execution.
    expect(fired.every((f) => f.verdict === 'routed' && f.executions.length === 1)).toBe(true);
    const executions = await t.database.db.tenant({ orgId: org.organization.id }, (sql) =>
      sql.query<{ n: string }>(
        `SELECT count(*) AS n FROM executions WHERE trigger->>'triggerId' = $1`,
        [trigger.id],
      ),
    );
    expect(Number(executions[0]?.n)).toBe(seconds.length);
  }, 90_000);
});
