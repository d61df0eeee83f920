import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../../../test/db.ts';
import type { SchedulerConfig } from '../../domain/trigger.ts';
import { AppError } from '../../errors.ts';
import { createOrganization } from '../../modules/orgs/orgs.service.ts';
import { insertTickEvent } from './fixtures/insert-tick-event.ts';
import { nextRuns } from './schedule.ts';
import { removeSchedule, startScheduler, syncHint, upsertSchedule } from './ticker.ts';

const PROCESS_FIXTURE = fileURLToPath(new URL('fixtures/scheduler-process.ts', import.meta.url));
const WAIT = { timeout: 10_000, interval: 25 };
const MINUTE = 60_000;

describe.each(TEST_DRIVERS)('scheduler on %s', (driver) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(driver);
  });
  afterAll(async () => {
    await t.close();
  });

  async function seedOrg(): Promise<string> {
    const created = await createOrganization({
      db: t.db,
      name: `Scheduler ${randomUUID().slice(0, 8)}`,
      ownerEmail: `owner-${randomUUID()}@scheduler.test`,
      actorLabel: 'test',
    });
    return created.organization.id;
  }

  /** A workflow-less scheduler trigger, its schedule, and its hint. */
  async function createTrigger({
    orgId,
    config,
    status = 'active',
  }: {
    orgId: string;
    config: SchedulerConfig;
    status?: 'active' | 'inactive';
  }): Promise<string> {
    const triggerId = await t.db.tenant({ orgId }, async (sql) => {
      const [row] = await sql.query<{ id: string }>(
        `INSERT INTO triggers (org_id, type, name, status, config)
         VALUES ($1, 'scheduler', 'tick', $2, $3) RETURNING id`,
        [orgId, status, JSON.stringify(config)],
      );
      await upsertSchedule({ sql, orgId, triggerId: row!.id, config, now: new Date() });
      return row!.id;
    });
    await syncHint({ db: t.db, orgId, triggerId });
    return triggerId;
  }

  async function ticks(orgId: string, triggerId: string): Promise<string[]> {
    const rows = await t.db.tenant({ orgId }, (sql) =>
      sql.query<{ tick_at: Date }>(
        'SELECT tick_at FROM trigger_events WHERE trigger_id = $1 ORDER BY tick_at',
        [triggerId],
      ),
    );
    return rows.map((r) => r.tick_at.toISOString());
  }

  async function nextRunAt(orgId: string, triggerId: string): Promise<string | null> {
    const [row] = await t.db.tenant({ orgId }, (sql) =>
      sql.query<{ next_run_at: Date }>(
        'SELECT next_run_at FROM trigger_schedules WHERE trigger_id = $1',
        [triggerId],
      ),
    );
    return row?.next_run_at.toISOString() ?? null;
  }

  async function hint(orgId: string, triggerId: string): Promise<string | null> {
    const [row] = await t.db.owner((sql) =>
      sql.query<{ next_run_at: Date }>(
        'SELECT next_run_at FROM schedule_hints WHERE org_id = $1 AND trigger_id = $2',
        [orgId, triggerId],
      ),
    );
    return row?.next_run_at.toISOString() ?? null;
  }

  /** Simulates downtime: the schedule (and, unless told otherwise, its hint) due at `at`. */
  async function makeDue({
    orgId,
    triggerId,
    at,
    withHint = true,
  }: {
    orgId: string;
    triggerId: string;
    at: Date;
    withHint?: boolean;
  }): Promise<void> {
    await t.db.tenant({ orgId }, (sql) =>
      sql.query('UPDATE trigger_schedules SET next_run_at = $2 WHERE trigger_id = $1', [
        triggerId,
        at,
      ]),
    );
    if (withHint) await setHint({ orgId, triggerId, at });
  }

  async function setHint({
    orgId,
    triggerId,
    at,
  }: {
    orgId: string;
    triggerId: string;
    at: Date;
  }): Promise<void> {
    await t.db.owner((sql) =>
      sql.query(
        `INSERT INTO schedule_hints (org_id, trigger_id, next_run_at) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, trigger_id) DO UPDATE SET next_run_at = EXCLUDED.next_run_at`,
        [orgId, triggerId, at],
      ),
    );
  }

  function run({ rescanMs = 30_000 }: { rescanMs?: number } = {}) {
    const errors: Error[] = [];
    const scheduler = startScheduler({
      db: t.db,
      fire: insertTickEvent,
      onError: (error) => errors.push(error),
      tickMs: 25,
      rescanMs,
    });
    return { errors, close: () => scheduler.close() };
  }

  const hourly = (startAt: Date): SchedulerConfig => ({
    schedule: { preset: 'interval', every: 1, unit: 'hours', startAt: startAt.toISOString() },
    timezone: 'UTC',
  });

  it('stores the next run and mirrors it in the hint; removal drops both', async () => {
    const orgId = await seedOrg();
    const start = new Date(Date.now() + 5 * MINUTE);
    const triggerId = await createTrigger({ orgId, config: hourly(start) });
    expect(await nextRunAt(orgId, triggerId)).toBe(start.toISOString());
    expect(await hint(orgId, triggerId)).toBe(start.toISOString());

    await expect(
      t.db.tenant({ orgId }, (sql) =>
        upsertSchedule({
          sql,
          orgId,
          triggerId,
          config: { schedule: { preset: 'cron', expression: '* * *' }, timezone: 'UTC' },
          now: new Date(),
        }),
      ),
    ).rejects.toThrow(AppError);

    await t.db.tenant({ orgId }, (sql) => removeSchedule({ sql, triggerId }));
    await syncHint({ db: t.db, orgId, triggerId });
    expect(await nextRunAt(orgId, triggerId)).toBeNull();
    expect(await hint(orgId, triggerId)).toBeNull();
  });

  it('does not fire inactive triggers, removed schedules or deleted triggers', async () => {
    const orgId = await seedOrg();
    const start = new Date(Date.now() - 30 * MINUTE);
    const control = await createTrigger({ orgId, config: hourly(start) });
    const inactive = await createTrigger({ orgId, config: hourly(start), status: 'inactive' });
    const removed = await createTrigger({ orgId, config: hourly(start) });
    const deleted = await createTrigger({ orgId, config: hourly(start) });
    for (const triggerId of [control, inactive, removed, deleted]) {
      await makeDue({ orgId, triggerId, at: start });
    }
    // Stale hints stay behind, as if the changes had raced the ticker.
    await t.db.tenant({ orgId }, async (sql) => {
      await removeSchedule({ sql, triggerId: removed });
      await sql.query('DELETE FROM triggers WHERE id = $1', [deleted]);
    });

    const scheduler = run();
    try {
      await vi.waitFor(async () => expect(await ticks(orgId, control)).toHaveLength(1), WAIT);
      // The tick that fired the control saw the others due and dropped their hints.
      await vi.waitFor(async () => {
        for (const id of [inactive, removed, deleted]) expect(await hint(orgId, id)).toBeNull();
      }, WAIT);
    } finally {
      await scheduler.close();
    }
    for (const id of [inactive, removed]) expect(await ticks(orgId, id)).toEqual([]);
    expect(await nextRunAt(orgId, inactive)).toBe(start.toISOString());
    expect(scheduler.errors).toEqual([]);
  });

  it('fires missed ticks once after downtime, not in a burst', async () => {
    const orgId = await seedOrg();
    const now = Date.now();
    const start = new Date(now - 10.5 * MINUTE);
    const interval = await createTrigger({
      orgId,
      config: {
        schedule: { preset: 'interval', every: 1, unit: 'minutes', startAt: start.toISOString() },
        timezone: 'UTC',
      },
    });
    const cronConfig: SchedulerConfig = {
      schedule: { preset: 'cron', expression: '* * * * *' },
      timezone: 'Europe/Berlin',
    };
    const cron = await createTrigger({ orgId, config: cronConfig });
    // Down since ten minutes and a half: ten or eleven runs of each were missed.
    await makeDue({ orgId, triggerId: interval, at: start });
    const [firstMissed] = nextRuns({ ...cronConfig, after: start, count: 1 });
    await makeDue({ orgId, triggerId: cron, at: firstMissed! });

    const scheduler = run();
    try {
      await vi.waitFor(async () => {
        expect(await ticks(orgId, interval)).toHaveLength(1);
        expect(await ticks(orgId, cron)).toHaveLength(1);
      }, WAIT);
      // The start-up rescan may read the schedule before the tick commits and move the hint back
      // to the missed run (a hint may be early, never late); the next tick then sets it right.
      const [fired] = await ticks(orgId, cron);
      await vi.waitFor(
        async () =>
          expect(Date.parse((await hint(orgId, cron))!)).toBe(Date.parse(fired!) + MINUTE),
        WAIT,
      );
    } finally {
      await scheduler.close();
    }
    const tenth = new Date(start.getTime() + 10 * MINUTE);
    expect(await ticks(orgId, interval)).toEqual([tenth.toISOString()]);
    expect(await nextRunAt(orgId, interval)).toBe(new Date(tenth.getTime() + MINUTE).toISOString());

    // The latest whole minute before the scheduler ran, then the next: nothing else is due.
    const [cronTick] = await ticks(orgId, cron);
    const cronTickMs = Date.parse(cronTick!);
    expect(cronTickMs % MINUTE).toBe(0);
    expect(cronTickMs).toBeGreaterThan(now - MINUTE);
    expect(await nextRunAt(orgId, cron)).toBe(new Date(cronTickMs + MINUTE).toISOString());
    expect(scheduler.errors).toEqual([]);
  });

  it('rebuilds lost hints and repairs late ones in the rescan', async () => {
    const orgId = await seedOrg();
    const start = new Date(Date.now() - 30 * MINUTE);
    const lost = await createTrigger({ orgId, config: hourly(start) });
    const late = await createTrigger({ orgId, config: hourly(start) });
    const upcoming = start.getTime() + 60 * MINUTE;
    await t.db.owner((sql) => sql.query('DELETE FROM schedule_hints WHERE org_id = $1', [orgId]));

    const scheduler = run({ rescanMs: 200 });
    try {
      // The rescan at start.
      await vi.waitFor(
        async () => expect(Date.parse((await hint(orgId, lost)) ?? '')).toBe(upcoming),
        WAIT,
      );
      // A hint lost while its schedule comes due; another hint set later than its schedule.
      await t.db.owner((sql) => sql.query('DELETE FROM schedule_hints WHERE org_id = $1', [orgId]));
      await makeDue({ orgId, triggerId: lost, at: start, withHint: false });
      await makeDue({ orgId, triggerId: late, at: start, withHint: false });
      await setHint({ orgId, triggerId: late, at: new Date('2100-01-01T00:00:00Z') });
      await vi.waitFor(async () => {
        expect(await ticks(orgId, lost)).toEqual([start.toISOString()]);
        expect(await ticks(orgId, late)).toEqual([start.toISOString()]);
      }, WAIT);
      await vi.waitFor(async () => {
        expect(Date.parse((await hint(orgId, lost)) ?? '')).toBe(upcoming);
        expect(Date.parse((await hint(orgId, late)) ?? '')).toBe(upcoming);
      }, WAIT);
    } finally {
      await scheduler.close();
    }
    expect(scheduler.errors).toEqual([]);
  });

  it.runIf(driver === 'pg')(
    'fires every tick of a 1-second schedule exactly once across two processes, one killed halfway',
    async () => {
      const orgId = await seedOrg();
      const startAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000);
      const triggerId = await createTrigger({
        orgId,
        config: {
          schedule: {
            preset: 'interval',
            every: 1,
            unit: 'seconds',
            startAt: startAt.toISOString(),
          },
          timezone: 'UTC',
        },
      });

      type Child = ChildProcessByStdio<null, Readable, Readable>;
      const children = [0, 1].map(() => {
        const child: Child = spawn(process.execPath, [PROCESS_FIXTURE, t.url ?? '', '50', '200'], {
          env: { PATH: process.env['PATH'] ?? '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const state = {
          child,
          out: '',
          err: '',
          exit: new Promise<number | null>((resolve) => child.once('exit', resolve)),
        };
        child.stdout.on('data', (d: Buffer) => (state.out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (state.err += d.toString()));
        return state;
      });
      try {
        for (const c of children)
          await vi.waitFor(() => expect(c.out, c.err).toContain('ready'), WAIT);
        const readyAt = Date.now();
        await sleep(15_000);

        // Kill a process while it fires a tick (inside the tick's transaction): the other one
        // must fire that tick again, and all the ticks after it.
        const seen = children.map((c) => c.out.length);
        const firing = /firing (\S+)\n/;
        let victim: (typeof children)[number] | undefined;
        await vi.waitFor(
          () => {
            victim = children.find((c, i) => firing.test(c.out.slice(seen[i])));
            expect(victim).toBeDefined();
          },
          { timeout: 5_000, interval: 5 },
        );
        if (!victim) throw new Error('unreachable');
        const killedTick = firing.exec(victim.out.slice(seen[children.indexOf(victim)]))![1]!;
        const survivor = children.find((c) => c !== victim)!;
        victim.child.kill('SIGKILL');
        await victim.exit;
        await sleep(15_000);
        survivor.child.kill('SIGTERM');
        const stoppedAt = Date.now();
        expect(await survivor.exit).toBe(0);
        expect(survivor.err).toBe('');
        expect(victim.err).toBe('');

        const events = await t.db.tenant({ orgId }, (sql) =>
          sql.query<{ tick_at: Date; pid: number }>(
            `SELECT tick_at, (payload->>'pid')::int AS pid FROM trigger_events
              WHERE trigger_id = $1 ORDER BY tick_at`,
            [triggerId],
          ),
        );
        const times = events.map((e) => e.tick_at.getTime());
        // Every second from the first tick to the last, once each.
        expect(times.slice(1).map((time, i) => time - times[i]!)).toEqual(
          Array.from({ length: times.length - 1 }, () => 1000),
        );
        // The first tick is the start, or (if the processes were slower to start) the latest due.
        if (readyAt < startAt.getTime()) expect(times[0]).toBe(startAt.getTime());
        expect(times[0]).toBeLessThanOrEqual(Math.max(startAt.getTime(), readyAt) + 1000);
        expect(times.at(-1)).toBeGreaterThanOrEqual(stoppedAt - 1500);
        expect(times.length).toBeGreaterThanOrEqual(
          Math.floor((stoppedAt - Math.max(startAt.getTime(), readyAt)) / 1000) - 1,
        );
        // The tick being fired when the victim died was rolled back and fired by the survivor,
        // as was everything after it.
        const after = events.filter((e) => e.tick_at.getTime() >= Date.parse(killedTick));
        expect(after[0]?.tick_at.toISOString()).toBe(killedTick);
        expect(after.length).toBeGreaterThanOrEqual(12);
        expect(after.every((e) => e.pid === survivor.child.pid)).toBe(true);
      } finally {
        for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      }
    },
    45_000,
  );
});
