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
import type { Database, Sql, TxSql } from '../../db/database.ts';
import { isUniqueViolation } from '../../db/database.ts';
import { listRegisteredOrgs } from '../../db/repositories/orgs.repo.ts';
import { inSavepoint } from '../../db/repositories/system.repo.ts';
import * as schedulesRepo from '../../db/repositories/trigger-schedules.repo.ts';
import type { HintRecord } from '../../db/repositories/trigger-schedules.repo.ts';
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

/** Due hints read per tick. */
const HINT_BATCH = 500;

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
  await schedulesRepo.upsertSchedule(sql, { orgId, triggerId, nextRunAt: next });
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
  await schedulesRepo.removeSchedule(sql, { triggerId });
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
  const [row] = await db.tenant({ orgId }, (sql) =>
    schedulesRepo.listActive(sql, { triggerIds: [triggerId] }),
  );
  await db.owner((sql) =>
    row
      ? schedulesRepo.upsertHint(sql, { orgId, triggerId, nextRunAt: row.nextRunAt })
      : schedulesRepo.removeHint(sql, { orgId, triggerId }),
  );
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
    hints: readonly HintRecord[];
  }): Promise<void> {
    const problems: { message: string; error: unknown }[] = [];
    const fired: unknown[] = [];
    const current = await db.tenant({ orgId }, async (sql) => {
      fired.length = 0;
      const claimed = await schedulesRepo.claimDue(sql);
      for (const row of claimed) {
        const triggerId = row.triggerId;
        const parsed = SchedulerConfigSchema.safeParse(row.config);
        let plan: { tickAt: Date; nextRunAt: Date };
        let config: SchedulerConfig;
        try {
          if (!parsed.success) throw new Error(z.prettifyError(parsed.error));
          config = parsed.data;
          plan = planTick({
            schedule: config.schedule,
            timezone: config.timezone,
            due: row.nextRunAt,
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
        const outcome = await inSavepoint(sql, { name: 'weft_scheduler_tick' }, () =>
          fire({ sql, orgId, triggerId, tickAt: plan.tickAt, config, type: row.type }),
        );
        if (outcome.ok) {
          fired.push(outcome.value);
        } else {
          const { error } = outcome;
          problems.push({
            message: isUniqueViolation(error)
              ? `tick ${plan.tickAt.toISOString()} of trigger ${triggerId} (org ${orgId}) had already fired`
              : `firing trigger ${triggerId} (org ${orgId}) for ${plan.tickAt.toISOString()} failed; the tick is skipped`,
            error,
          });
        }
        await schedulesRepo.setNextRun(sql, { triggerId, nextRunAt: plan.nextRunAt });
      }
      const ids = [
        ...new Set([...hints.map((h) => h.triggerId), ...claimed.map((r) => r.triggerId)]),
      ];
      const rows = await schedulesRepo.listActive(sql, { triggerIds: ids });
      return { ids, next: new Map(rows.map((r) => [r.triggerId, r.nextRunAt])) };
    });
    for (const p of problems) report(p.message, p.error);
    if (fired.length > 0 && afterCommit) {
      try {
        afterCommit([...fired]);
      } catch (error) {
        report('handling fired ticks failed', error);
      }
    }
    const seen = new Map(hints.map((h) => [h.triggerId, h.nextRunAt]));
    const changes = current.ids.map((triggerId) => ({
      triggerId,
      seen: seen.get(triggerId) ?? null,
      next: current.next.get(triggerId) ?? null,
    }));
    await db.owner((sql) => schedulesRepo.setHints(sql, { orgId, changes }));
  }

  async function tick(stopped: () => boolean): Promise<void> {
    let due: HintRecord[];
    try {
      due = await db.owner((sql) => schedulesRepo.listDueHints(sql, { limit: HINT_BATCH }));
    } catch (error) {
      report('reading due hints failed', error);
      return;
    }
    const byOrg = Map.groupBy(due, (h) => h.orgId);
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
        const schedules = await db.tenant({ orgId }, (sql) => schedulesRepo.listAllActive(sql));
        if (schedules.length === 0) continue;
        await db.owner((sql) => schedulesRepo.mergeHints(sql, { orgId, schedules }));
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
