/**
 * The scheduler: fires each tick of every active scheduler trigger exactly once, across any
 * number of processes.
 *
 * State. `trigger_schedules` (a tenant table) holds each schedule's `next_run_at`: it is the
 * truth. `schedule_hints` (a system table, owner role only) copies `(org_id, trigger_id,
 * next_run_at)` so that one query finds the orgs with a tick due, without opening a transaction
 * per org. A hint may be early (it costs one empty look) but should never be late; the rescan
 * repairs any that are.
 *
 * Tick (every `tickMs`). As the owner, read the due hints. For each org with one, in a tenant
 * transaction: claim that org's due schedules of active scheduler triggers with
 * `FOR UPDATE SKIP LOCKED`, so each is handled by one process, and for each call `fire` in the
 * same transaction (the caller inserts the event there: it commits with the new `next_run_at` or
 * not at all; the unique index `trigger_events_tick` on (org, trigger, tick_at) is the
 * backstop), then store the next run. After the commit, the org's hints are set as the owner with
 * compare-and-set on the value read, so a slower process never moves a hint back in time; a hint
 * whose schedule is gone (trigger deleted or inactive, schedule removed) is dropped when it comes
 * due.
 *
 * Downtime. A tick handled late fires once, for the latest run at or before now, and the schedule
 * continues with the first run after now: ticks missed by more than one period while no
 * scheduler ran are skipped, not replayed in a burst (see `planTick`).
 *
 * Failures. An error thrown by `fire` is reported to `onError` and that tick is skipped (its
 * savepoint rolled back, the schedule advanced), so one broken trigger can neither block its org
 * nor loop hot (a tick refused by `trigger_events_tick` is reported as already fired: with the
 * row lock that does not happen). A stored config that no longer parses removes the schedule (reported). An error
 * of the transaction itself (a lost connection, a killed process) rolls everything back: the
 * ticks are fired again by the next tick, here or in another process.
 *
 * Rescan (at start, alongside the first ticks, then every `rescanMs`). Rebuilds hints from every registered org's
 * schedules, moving existing hints only earlier, so a lost or late hint delays a tick by at most
 * `rescanMs`. It opens one transaction per registered org.
 *
 * For the trigger service: in its own transaction, `upsertSchedule` when a scheduler trigger is
 * created, its schedule or time zone changes, or it is activated (the next run is computed from
 * `now`, so call it only then: calling it again restarts an interval without `startAt` and
 * skips a tick that is due but not yet fired), and `removeSchedule` when it is deactivated; then,
 * after the commit, `syncHint`.
 */
import { z } from 'zod';
import type { Database, OwnerSql, Sql, TxSql } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/database.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import { SchedulerConfigSchema, type SchedulerConfig } from '../../domain/trigger.ts';
import { nextRuns, planTick } from './schedule.ts';

export interface FireInput {
  /** The tick's transaction: insert the event here. */
  readonly sql: TxSql;
  readonly orgId: string;
  readonly triggerId: string;
  /** The scheduled time of the tick (not the time it is handled). */
  readonly tickAt: Date;
  readonly config: SchedulerConfig;
  /** 'app_event': a polling app event is due (its interval is the subscription's). */
  readonly type: 'scheduler' | 'app_event';
}

export interface Scheduler {
  /** Stops the loops and waits for a tick or rescan in flight. */
  close(): Promise<void>;
}

/** Due hints read per tick, and due schedules claimed per org transaction. */
const HINT_BATCH = 500;
const CLAIM_BATCH = 100;

const ACTIVE_SCHEDULES = `trigger_schedules s JOIN triggers t ON t.org_id = s.org_id AND t.id = s.trigger_id
  WHERE t.status = 'active'
    AND (t.type = 'scheduler' OR (t.type = 'app_event' AND t.subscription->>'mode' = 'poll'))`;

// An app event that polls runs on an interval of its subscription's seconds.
const CONFIG = `CASE WHEN t.type = 'app_event' THEN jsonb_build_object(
    'schedule', jsonb_build_object('preset', 'interval', 'unit', 'seconds',
      'every', coalesce((t.subscription->>'intervalSeconds')::int, 300)),
    'timezone', 'UTC') ELSE t.config END`;

const CLAIM_DUE = `SELECT s.trigger_id, s.next_run_at, ${CONFIG} AS config, t.type, now() AS now FROM ${ACTIVE_SCHEDULES}
    AND s.next_run_at <= now()
  ORDER BY s.next_run_at LIMIT ${CLAIM_BATCH}
  FOR UPDATE OF s SKIP LOCKED`;

const CURRENT = `SELECT s.trigger_id, s.next_run_at FROM ${ACTIVE_SCHEDULES}
    AND s.trigger_id = ANY($1::uuid[])`;

const ALL_CURRENT = `SELECT s.trigger_id, s.next_run_at FROM ${ACTIVE_SCHEDULES}`;

/**
 * Sets hints after a tick: `seen` is the hint's value when it was read (null: there was none),
 * `next_run_at` the schedule's value now (null: no active schedule). Compare-and-set, so a hint
 * changed meanwhile (by `syncHint` or another process) is left alone. Millisecond precision, as
 * every stored value comes from a JavaScript Date.
 */
const SET_HINTS = `WITH v AS (
    SELECT * FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[]) AS v(trigger_id, seen, next_run_at)
  ), moved AS (
    UPDATE schedule_hints h SET next_run_at = v.next_run_at FROM v
     WHERE h.org_id = $1 AND h.trigger_id = v.trigger_id AND v.next_run_at IS NOT NULL
       AND date_trunc('milliseconds', h.next_run_at) = v.seen
  ), dropped AS (
    DELETE FROM schedule_hints h USING v
     WHERE h.org_id = $1 AND h.trigger_id = v.trigger_id AND v.next_run_at IS NULL
       AND date_trunc('milliseconds', h.next_run_at) = v.seen
  )
  INSERT INTO schedule_hints (org_id, trigger_id, next_run_at)
  SELECT $1, v.trigger_id, v.next_run_at FROM v WHERE v.seen IS NULL AND v.next_run_at IS NOT NULL
  ON CONFLICT DO NOTHING`;

/** Rescan: adds missing hints and moves existing ones only earlier (early is safe, late is not). */
const MERGE_HINTS = `INSERT INTO schedule_hints (org_id, trigger_id, next_run_at)
  SELECT $1, * FROM unnest($2::uuid[], $3::timestamptz[])
  ON CONFLICT (org_id, trigger_id)
  DO UPDATE SET next_run_at = LEAST(schedule_hints.next_run_at, EXCLUDED.next_run_at)`;

interface ScheduleRow {
  trigger_id: string;
  next_run_at: Date;
}

interface ClaimedRow extends ScheduleRow {
  config: unknown;
  type: 'scheduler' | 'app_event';
  now: Date;
}

interface HintRow extends ScheduleRow {
  org_id: string;
}

interface HintChange {
  triggerId: string;
  seen: Date | null;
  next: Date | null;
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Stores the schedule's next run (computed from `now`; validates the config, throwing
 * AppError('validation_failed')). Call inside the transaction that writes the trigger; call
 * `syncHint` after it commits. Returns the next run.
 */
export async function upsertSchedule({
  sql,
  orgId,
  triggerId,
  config,
  now,
}: {
  sql: Sql;
  orgId: string;
  triggerId: string;
  config: SchedulerConfig;
  now: Date;
}): Promise<Date> {
  const [next] = nextRuns({
    schedule: config.schedule,
    timezone: config.timezone,
    after: now,
    count: 1,
  }) as [Date];
  await sql.query(
    `INSERT INTO trigger_schedules (org_id, trigger_id, next_run_at) VALUES ($1, $2, $3)
     ON CONFLICT (org_id, trigger_id) DO UPDATE SET next_run_at = EXCLUDED.next_run_at`,
    [orgId, triggerId, next],
  );
  return next;
}

/** Removes a trigger's schedule (in the caller's tenant transaction); then call `syncHint`. */
export async function removeSchedule({
  sql,
  triggerId,
}: {
  sql: Sql;
  triggerId: string;
}): Promise<void> {
  await sql.query('DELETE FROM trigger_schedules WHERE trigger_id = $1', [triggerId]);
}

/**
 * Makes a trigger's hint match its schedule, after the transaction that changed it committed:
 * reads the schedule as the tenant, then writes (or drops) the hint as the owner.
 */
export async function syncHint({
  db,
  orgId,
  triggerId,
}: {
  db: Database;
  orgId: string;
  triggerId: string;
}): Promise<void> {
  const [row] = await db.tenant({ orgId }, (sql) => sql.query<ScheduleRow>(CURRENT, [[triggerId]]));
  await db.owner((sql) =>
    row
      ? sql.query(
          `INSERT INTO schedule_hints (org_id, trigger_id, next_run_at) VALUES ($1, $2, $3)
           ON CONFLICT (org_id, trigger_id) DO UPDATE SET next_run_at = EXCLUDED.next_run_at`,
          [orgId, triggerId, row.next_run_at],
        )
      : sql.query('DELETE FROM schedule_hints WHERE org_id = $1 AND trigger_id = $2', [
          orgId,
          triggerId,
        ]),
  );
}

async function setHints(
  sql: OwnerSql,
  { orgId, changes }: { orgId: string; changes: readonly HintChange[] },
): Promise<void> {
  if (changes.length === 0) return;
  await sql.query(SET_HINTS, [
    orgId,
    changes.map((c) => c.triggerId),
    changes.map((c) => c.seen),
    changes.map((c) => c.next),
  ]);
}

/** A loop that runs `fn`, then waits `everyMs`, until stopped; `stop` waits for a run in flight. */
function repeat({
  everyMs,
  fn,
}: {
  everyMs: number;
  fn: (stopped: () => boolean) => Promise<void>;
}): { stop(): Promise<void> } {
  let stopped = false;
  let wake: (() => void) | undefined;
  const running = (async () => {
    while (!stopped) {
      await fn(() => stopped);
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, everyMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}

/**
 * Starts the tick and rescan loops (see the top of this file). `fire` runs inside the tick's
 * transaction and should insert the tick's event there; errors go to `onError`, never thrown.
 */
export function startScheduler({
  db,
  fire,
  afterCommit,
  onError,
  tickMs = 250,
  rescanMs = 30_000,
}: {
  db: Database;
  fire: (input: FireInput) => Promise<unknown>;
  /** Called with what each `fire` returned, once the ticks' transaction has committed. */
  afterCommit?: (fired: unknown[]) => void;
  onError: (error: Error) => void;
  tickMs?: number;
  rescanMs?: number;
}): Scheduler {
  const report = (message: string, error: unknown) =>
    onError(new Error(`scheduler: ${message}: ${toError(error).message}`, { cause: error }));

  async function tickOrg({
    orgId,
    hints,
  }: {
    orgId: string;
    hints: readonly HintRow[];
  }): Promise<void> {
    const problems: { message: string; error: unknown }[] = [];
    const fired: unknown[] = [];
    const current = await db.tenant({ orgId }, async (sql) => {
      fired.length = 0;
      const claimed = await sql.query<ClaimedRow>(CLAIM_DUE);
      for (const row of claimed) {
        const triggerId = row.trigger_id;
        const parsed = SchedulerConfigSchema.safeParse(row.config);
        let plan: { tickAt: Date; nextRunAt: Date };
        let config: SchedulerConfig;
        try {
          if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
          config = parsed.data;
          plan = planTick({
            schedule: config.schedule,
            timezone: config.timezone,
            due: row.next_run_at,
            now: row.now,
          });
        } catch (error) {
          // Nothing can run it until the trigger is saved again (which upserts the schedule).
          problems.push({
            message: `trigger ${triggerId} (org ${orgId}) has an unusable schedule and was unscheduled`,
            error,
          });
          await removeSchedule({ sql, triggerId });
          continue;
        }
        await sql.query('SAVEPOINT weft_scheduler_tick');
        try {
          const result = await fire({
            sql,
            orgId,
            triggerId,
            tickAt: plan.tickAt,
            config,
            type: row.type,
          });
          await sql.query('RELEASE SAVEPOINT weft_scheduler_tick');
          fired.push(result);
        } catch (error) {
          await sql.query('ROLLBACK TO SAVEPOINT weft_scheduler_tick');
          problems.push({
            message: isUniqueViolation(error)
              ? `tick ${plan.tickAt.toISOString()} of trigger ${triggerId} (org ${orgId}) had already fired`
              : `firing trigger ${triggerId} (org ${orgId}) for ${plan.tickAt.toISOString()} failed; the tick is skipped`,
            error,
          });
        }
        await sql.query('UPDATE trigger_schedules SET next_run_at = $2 WHERE trigger_id = $1', [
          triggerId,
          plan.nextRunAt,
        ]);
      }
      const ids = [
        ...new Set([...hints.map((h) => h.trigger_id), ...claimed.map((r) => r.trigger_id)]),
      ];
      const rows = await sql.query<ScheduleRow>(CURRENT, [ids]);
      return { ids, next: new Map(rows.map((r) => [r.trigger_id, r.next_run_at])) };
    });
    for (const p of problems) report(p.message, p.error);
    if (fired.length > 0 && afterCommit) {
      try {
        afterCommit([...fired]);
      } catch (error) {
        report('handling fired ticks failed', error);
      }
    }
    const seen = new Map(hints.map((h) => [h.trigger_id, h.next_run_at]));
    const changes = current.ids.map((triggerId) => ({
      triggerId,
      seen: seen.get(triggerId) ?? null,
      next: current.next.get(triggerId) ?? null,
    }));
    await db.owner((sql) => setHints(sql, { orgId, changes }));
  }

  async function tick(stopped: () => boolean): Promise<void> {
    let due: HintRow[];
    try {
      due = await db.owner((sql) =>
        sql.query<HintRow>(
          `SELECT org_id, trigger_id, next_run_at FROM schedule_hints
            WHERE next_run_at <= now() ORDER BY next_run_at LIMIT ${HINT_BATCH}`,
        ),
      );
    } catch (error) {
      report('reading due hints failed', error);
      return;
    }
    const byOrg = Map.groupBy(due, (h) => h.org_id);
    // One org at a time: other processes take the rows this one has locked (SKIP LOCKED).
    for (const [orgId, hints] of byOrg) {
      if (stopped()) return;
      try {
        await tickOrg({ orgId, hints });
      } catch (error) {
        report(`tick of org ${orgId} failed`, error);
      }
    }
  }

  async function rescan(stopped: () => boolean): Promise<void> {
    let orgs: string[];
    try {
      orgs = await db.owner((sql) => listRegisteredOrgs(sql));
    } catch (error) {
      report('listing orgs for the rescan failed', error);
      return;
    }
    for (const orgId of orgs) {
      if (stopped()) return;
      try {
        const rows = await db.tenant({ orgId }, (sql) => sql.query<ScheduleRow>(ALL_CURRENT));
        if (rows.length === 0) continue;
        await db.owner((sql) =>
          sql.query(MERGE_HINTS, [
            orgId,
            rows.map((r) => r.trigger_id),
            rows.map((r) => r.next_run_at),
          ]),
        );
      } catch (error) {
        report(`rescan of org ${orgId} failed`, error);
      }
    }
  }

  const rescans = repeat({ everyMs: rescanMs, fn: rescan });
  const ticks = repeat({ everyMs: tickMs, fn: tick });
  return {
    async close() {
      await Promise.all([rescans.stop(), ticks.stop()]);
    },
  };
}
