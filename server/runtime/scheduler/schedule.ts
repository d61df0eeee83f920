/**
 * When a scheduler trigger runs: pure functions over a `Schedule` and an IANA time zone.
 *
 * Presets other than `interval` become a cron expression (seconds first) evaluated by
 * cron-parser in the trigger's time zone, which also handles DST: a wall-clock time that does
 * not exist on the day clocks go forward runs once at the same minute of the next hour (02:30 →
 * 03:30), and one that occurs twice when clocks go back runs once, at its first occurrence.
 * `monthly` on a day some months lack (29–31) skips those months, as cron does; there is no
 * "last day of the month" fallback.
 *
 * An `interval` is elapsed time, not wall-clock time: its runs are `startAt + k·period` (a day is
 * 24 hours), so "every 1 day" keeps its UTC spacing across DST changes. For a fixed local time
 * every day, use `daily`. Without `startAt` the schedule starts at the moment it is computed
 * from (`after`): that moment is its first run ("First run (default: now)").
 */
import { CronExpressionParser } from 'cron-parser';
import type { Schedule } from '../../domain/trigger.ts';
import { AppError } from '../../errors.ts';

const UNIT_MS = {
  seconds: 1_000,
  minutes: 60_000,
  hours: 3_600_000,
  days: 86_400_000,
} as const;

/** Keeps every computed run a valid Date (about ten years). */
const MAX_PERIOD_MS = 3_660 * UNIT_MS.days;
const MAX_COUNT = 1_000;

type Plan =
  | { readonly kind: 'interval'; readonly periodMs: number; readonly startAt: number | null }
  | { readonly kind: 'cron'; readonly expression: string; readonly timezone: string };

function invalid(field: string, message: string): AppError {
  return new AppError('validation_failed', `${field}: ${message}`, { field });
}

function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw invalid(
      'timezone',
      `unknown time zone ${JSON.stringify(timezone)}; use an IANA name such as "Europe/Berlin" or "UTC"`,
    );
  }
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})T/;

function parseStartAt(startAt: string): number {
  const ms = Date.parse(startAt);
  const [, y, m, d] = ISO_DATE.exec(startAt) ?? [];
  // Date.parse rolls 2025-02-30 over into March; refuse a day the month does not have.
  const real =
    y !== undefined &&
    m !== undefined &&
    d !== undefined &&
    new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))).getUTCDate() === Number(d);
  if (Number.isNaN(ms) || !real) {
    throw invalid(
      'schedule.startAt',
      `${JSON.stringify(startAt)} is not a valid date-time; use ISO 8601 with an offset, e.g. "2025-01-31T09:00:00+01:00"`,
    );
  }
  return ms;
}

function timeFields(time: string): { hour: number; minute: number } {
  const [hour, minute] = time.split(':').map(Number);
  if (hour === undefined || minute === undefined || !(hour <= 23 && minute <= 59)) {
    throw invalid('schedule.time', `${JSON.stringify(time)} is not a time; use HH:MM, 24-hour`);
  }
  return { hour, minute };
}

/** A hashed field ("H", "H/5", "H(0-29)") draws a random value in cron-parser unless seeded. */
const HASHED = /(^|,)H(?![a-z])/i;

function cronExpression(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw invalid(
      'schedule.expression',
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; got ${fields.length}`,
    );
  }
  if (fields.some((f) => HASHED.test(f))) {
    throw invalid('schedule.expression', 'hashed values (H) are not supported');
  }
  return fields.join(' ');
}

function planOf({ schedule, timezone }: { schedule: Schedule; timezone: string }): Plan {
  checkTimezone(timezone);
  switch (schedule.preset) {
    case 'interval': {
      const periodMs = schedule.every * UNIT_MS[schedule.unit];
      if (!Number.isSafeInteger(schedule.every) || schedule.every < 1 || periodMs > MAX_PERIOD_MS) {
        throw invalid('schedule.every', `must be a whole number from 1 to about 10 years`);
      }
      const startAt = schedule.startAt === undefined ? null : parseStartAt(schedule.startAt);
      return { kind: 'interval', periodMs, startAt };
    }
    case 'daily': {
      const { hour, minute } = timeFields(schedule.time);
      return { kind: 'cron', expression: `0 ${minute} ${hour} * * *`, timezone };
    }
    case 'weekly': {
      const { hour, minute } = timeFields(schedule.time);
      if (schedule.days.length === 0) throw invalid('schedule.days', 'name at least one day');
      const days = [...new Set(schedule.days)].join(',');
      return { kind: 'cron', expression: `0 ${minute} ${hour} * * ${days}`, timezone };
    }
    case 'monthly': {
      const { hour, minute } = timeFields(schedule.time);
      if (
        !Number.isInteger(schedule.dayOfMonth) ||
        schedule.dayOfMonth < 1 ||
        schedule.dayOfMonth > 31
      ) {
        throw invalid('schedule.dayOfMonth', 'must be 1–31');
      }
      return {
        kind: 'cron',
        expression: `0 ${minute} ${hour} ${schedule.dayOfMonth} * *`,
        timezone,
      };
    }
    case 'cron':
      return { kind: 'cron', expression: cronExpression(schedule.expression), timezone };
  }
}

function parseCron({ plan, currentDate }: { plan: Plan & { kind: 'cron' }; currentDate: Date }) {
  try {
    return CronExpressionParser.parse(plan.expression, { currentDate, tz: plan.timezone });
  } catch (error) {
    throw invalid(
      'schedule.expression',
      `invalid cron expression ${JSON.stringify(plan.expression)}: ${(error as Error).message}`,
    );
  }
}

function cronRuns({
  plan,
  after,
  count,
}: {
  plan: Plan & { kind: 'cron' };
  after: Date;
  count: number;
}): Date[] {
  const expression = parseCron({ plan, currentDate: after });
  try {
    return expression.take(count).map((d) => d.toDate());
  } catch (error) {
    throw invalid(
      'schedule.expression',
      `cron expression ${JSON.stringify(plan.expression)} has no next run: ${(error as Error).message}`,
    );
  }
}

/** Interval runs strictly after `after` on the grid `startAt + k·period`, k ≥ 0. */
function intervalRuns({
  periodMs,
  startAt,
  after,
  count,
}: {
  periodMs: number;
  startAt: number;
  after: number;
  count: number;
}): Date[] {
  const k = after < startAt ? 0 : Math.floor((after - startAt) / periodMs) + 1;
  return Array.from({ length: count }, (_, i) => new Date(startAt + (k + i) * periodMs));
}

/**
 * Throws AppError('validation_failed') naming the field (`schedule.expression`, `timezone`,
 * `schedule.startAt`, …) when the schedule cannot run: a bad cron expression or one with no
 * next run, an unknown time zone, an invalid startAt, an out-of-range interval.
 */
export function validateSchedule({
  schedule,
  timezone,
}: {
  schedule: Schedule;
  timezone: string;
}): void {
  const plan = planOf({ schedule, timezone });
  if (plan.kind === 'cron') cronRuns({ plan, after: new Date(), count: 1 });
}

/**
 * The next `count` runs strictly after `after` (the preview of a schedule). An interval without
 * `startAt` starts at `after`, so its first run is `after` itself.
 */
export function nextRuns({
  schedule,
  timezone,
  after,
  count,
}: {
  schedule: Schedule;
  timezone: string;
  after: Date;
  count: number;
}): Date[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw invalid('count', `must be a whole number from 1 to ${MAX_COUNT}`);
  }
  const plan = planOf({ schedule, timezone });
  if (plan.kind === 'cron') return cronRuns({ plan, after, count });
  if (plan.startAt === null) {
    // Anchored at `after`, which is then its first run.
    return intervalRuns({
      periodMs: plan.periodMs,
      startAt: after.getTime(),
      after: after.getTime() - 1,
      count,
    });
  }
  return intervalRuns({
    periodMs: plan.periodMs,
    startAt: plan.startAt,
    after: after.getTime(),
    count,
  });
}

/**
 * What to do with a tick that fell due at `due` and is handled at `now` (≥ due): fire once for
 * the latest run at or before `now` (so ticks missed by more than one period, while no scheduler
 * ran, collapse into one), then continue with the first run after `now`. An interval without
 * `startAt` keeps the grid of `due`, its previous run.
 */
export function planTick({
  schedule,
  timezone,
  due,
  now,
}: {
  schedule: Schedule;
  timezone: string;
  due: Date;
  now: Date;
}): { tickAt: Date; nextRunAt: Date } {
  const plan = planOf({ schedule, timezone });
  // Handled early (clocks of two machines disagree): as if on time, never twice for one run.
  const at = now.getTime() < due.getTime() ? due : now;
  let latest: Date | null;
  let nextRunAt: Date;
  if (plan.kind === 'interval') {
    const grid = { periodMs: plan.periodMs, startAt: plan.startAt ?? due.getTime() };
    const [next] = intervalRuns({ ...grid, after: at.getTime(), count: 1 }) as [Date];
    nextRunAt = next;
    const previous = next.getTime() - grid.periodMs;
    latest = previous >= grid.startAt ? new Date(previous) : null;
  } else {
    [nextRunAt] = cronRuns({ plan, after: at, count: 1 }) as [Date];
    // cron-parser's prev() is strictly before its date: 1 ms later makes it "at or before now".
    const expression = parseCron({ plan, currentDate: new Date(at.getTime() + 1) });
    latest = expression.hasPrev() ? expression.prev().toDate() : null;
  }
  const tickAt = latest !== null && latest.getTime() > due.getTime() ? latest : due;
  return { tickAt, nextRunAt };
}
