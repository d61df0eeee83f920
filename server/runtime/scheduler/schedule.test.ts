import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../domain/trigger.ts';
import { AppError } from '../../errors.ts';
import { nextRuns, planTick, validateSchedule } from './schedule.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const at = (s: string) => new Date(s);

function runs(schedule: Schedule, timezone: string, after: string, count = 4): string[] {
  return iso(nextRuns({ schedule, timezone, after: at(after), count }));
}

function validationError(schedule: Schedule, timezone = 'UTC'): AppError {
  try {
    validateSchedule({ schedule, timezone });
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a validation error');
}

describe('validateSchedule', () => {
  it('accepts each preset', () => {
    for (const schedule of [
      { preset: 'interval', every: 5, unit: 'minutes' },
      { preset: 'interval', every: 1, unit: 'days', startAt: '2025-01-31T09:00:00+01:00' },
      { preset: 'daily', time: '09:30' },
      { preset: 'weekly', days: ['mon', 'fri'], time: '23:59' },
      { preset: 'monthly', dayOfMonth: 31, time: '00:00' },
      { preset: 'cron', expression: '*/15 9-17 * * mon-fri' },
      { preset: 'cron', expression: '30 */5 * * * *' },
    ] satisfies Schedule[]) {
      expect(() => validateSchedule({ schedule, timezone: 'Europe/Berlin' })).not.toThrow();
    }
  });

  it('names the field of a bad cron expression', () => {
    const range = validationError({ preset: 'cron', expression: '61 * * * *' });
    expect(range.code).toBe('validation_failed');
    expect(range.message).toMatch(
      /^schedule\.expression: invalid cron expression "61 \* \* \* \*"/,
    );
    expect(range.details).toEqual({ field: 'schedule.expression' });
    expect(validationError({ preset: 'cron', expression: '* * * *' }).message).toBe(
      'schedule.expression: expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; got 4',
    );
    expect(validationError({ preset: 'cron', expression: '@daily' }).message).toMatch(/got 1$/);
    expect(validationError({ preset: 'cron', expression: '0 0 0 * * * 2025' }).message).toMatch(
      /got 7$/,
    );
    expect(validationError({ preset: 'cron', expression: 'H * * * *' }).message).toBe(
      'schedule.expression: hashed values (H) are not supported',
    );
    // Day names containing an h are not hashed values.
    expect(() =>
      validateSchedule({
        schedule: { preset: 'cron', expression: '0 9 * * thu' },
        timezone: 'UTC',
      }),
    ).not.toThrow();
    expect(validationError({ preset: 'cron', expression: '0 0 30 2 *' }).message).toMatch(
      /^schedule\.expression: invalid cron expression/,
    );
  });

  it('names an unknown time zone', () => {
    const error = validationError({ preset: 'daily', time: '09:00' }, 'Europe/Atlantis');
    expect(error.message).toBe(
      'timezone: unknown time zone "Europe/Atlantis"; use an IANA name such as "Europe/Berlin" or "UTC"',
    );
    expect(validationError({ preset: 'cron', expression: '* * * * *' }, '').details).toEqual({
      field: 'timezone',
    });
  });

  it('names an invalid interval start or period', () => {
    expect(
      validationError({
        preset: 'interval',
        every: 1,
        unit: 'hours',
        startAt: '2025-02-30T09:00:00Z',
      }).message,
    ).toMatch(/^schedule\.startAt: "2025-02-30T09:00:00Z" is not a valid date-time/);
    expect(
      validationError({ preset: 'interval', every: 1, unit: 'hours', startAt: 'yesterday' })
        .details,
    ).toEqual({ field: 'schedule.startAt' });
    expect(validationError({ preset: 'interval', every: 10_000, unit: 'days' }).message).toMatch(
      /^schedule\.every:/,
    );
  });

  it('bounds the preview length', () => {
    expect(() =>
      nextRuns({
        schedule: { preset: 'daily', time: '09:00' },
        timezone: 'UTC',
        after: new Date(),
        count: 1001,
      }),
    ).toThrow(/^count:/);
  });
});

describe('nextRuns', () => {
  it('daily in Europe/Berlin across spring forward: 02:30 does not exist and runs at 03:30', () => {
    expect(
      runs({ preset: 'daily', time: '02:30' }, 'Europe/Berlin', '2025-03-29T00:00:00Z'),
    ).toEqual([
      '2025-03-29T01:30:00.000Z', // 02:30 CET
      '2025-03-30T01:30:00.000Z', // 03:30 CEST: the clocks skipped 02:00–03:00
      '2025-03-31T00:30:00.000Z', // 02:30 CEST
      '2025-04-01T00:30:00.000Z',
    ]);
  });

  it('daily in Europe/Berlin across fall back: 02:30 happens twice and runs once', () => {
    expect(
      runs({ preset: 'daily', time: '02:30' }, 'Europe/Berlin', '2025-10-25T00:00:00Z', 3),
    ).toEqual([
      '2025-10-25T00:30:00.000Z', // 02:30 CEST
      '2025-10-26T00:30:00.000Z', // the first 02:30 (CEST); not again at 01:30Z (CET)
      '2025-10-27T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('daily in America/New_York across both DST changes', () => {
    expect(
      runs({ preset: 'daily', time: '02:30' }, 'America/New_York', '2025-03-08T12:00:00Z', 3),
    ).toEqual([
      '2025-03-09T07:30:00.000Z', // 03:30 EDT: 02:30 does not exist
      '2025-03-10T06:30:00.000Z',
      '2025-03-11T06:30:00.000Z',
    ]);
    expect(
      runs({ preset: 'daily', time: '01:30' }, 'America/New_York', '2025-11-01T12:00:00Z', 3),
    ).toEqual([
      '2025-11-02T05:30:00.000Z', // the first 01:30 (EDT), once
      '2025-11-03T06:30:00.000Z', // 01:30 EST
      '2025-11-04T06:30:00.000Z',
    ]);
  });

  it('weekly on several days keeps the local time across DST', () => {
    expect(
      runs(
        { preset: 'weekly', days: ['fri', 'mon', 'wed'], time: '09:00' },
        'America/New_York',
        '2025-03-05T15:00:00Z',
        5,
      ),
    ).toEqual([
      '2025-03-07T14:00:00.000Z', // Fri 09:00 EST
      '2025-03-10T13:00:00.000Z', // Mon 09:00 EDT
      '2025-03-12T13:00:00.000Z', // Wed
      '2025-03-14T13:00:00.000Z', // Fri
      '2025-03-17T13:00:00.000Z', // Mon
    ]);
  });

  it('monthly on the 31st skips months without one', () => {
    expect(
      runs(
        { preset: 'monthly', dayOfMonth: 31, time: '09:00' },
        'Europe/Berlin',
        '2025-01-01T00:00:00Z',
        5,
      ),
    ).toEqual([
      '2025-01-31T08:00:00.000Z',
      '2025-03-31T07:00:00.000Z', // no February 31st; CEST from March 30
      '2025-05-31T07:00:00.000Z',
      '2025-07-31T07:00:00.000Z',
      '2025-08-31T07:00:00.000Z',
    ]);
  });

  it('cron with 5 fields, or 6 with seconds first, in the time zone', () => {
    expect(
      runs({ preset: 'cron', expression: '0 9 * * 1-5' }, 'Asia/Tokyo', '2025-01-03T00:00:00Z', 2),
    ).toEqual(['2025-01-06T00:00:00.000Z', '2025-01-07T00:00:00.000Z']);
    expect(
      runs({ preset: 'cron', expression: '*/20 * * * * *' }, 'UTC', '2025-01-01T00:00:05Z', 3),
    ).toEqual(['2025-01-01T00:00:20.000Z', '2025-01-01T00:00:40.000Z', '2025-01-01T00:01:00.000Z']);
  });

  it('runs strictly after `after`', () => {
    expect(runs({ preset: 'daily', time: '09:00' }, 'UTC', '2025-01-01T09:00:00Z', 1)).toEqual([
      '2025-01-02T09:00:00.000Z',
    ]);
  });

  it('an interval with startAt is aligned to startAt + k·period', () => {
    const schedule: Schedule = {
      preset: 'interval',
      every: 15,
      unit: 'minutes',
      startAt: '2025-01-01T10:07:00+01:00',
    };
    // Before the start: the start is the first run.
    expect(runs(schedule, 'UTC', '2024-12-31T00:00:00Z', 2)).toEqual([
      '2025-01-01T09:07:00.000Z',
      '2025-01-01T09:22:00.000Z',
    ]);
    expect(runs(schedule, 'UTC', '2025-01-02T00:00:00Z', 2)).toEqual([
      '2025-01-02T00:07:00.000Z',
      '2025-01-02T00:22:00.000Z',
    ]);
    // On a run: the next one.
    expect(runs(schedule, 'UTC', '2025-01-02T00:07:00Z', 1)).toEqual(['2025-01-02T00:22:00.000Z']);
  });

  it('an interval without startAt starts at `after`', () => {
    expect(
      runs({ preset: 'interval', every: 2, unit: 'hours' }, 'UTC', '2025-01-01T10:11:12.345Z', 3),
    ).toEqual(['2025-01-01T10:11:12.345Z', '2025-01-01T12:11:12.345Z', '2025-01-01T14:11:12.345Z']);
  });

  it('an interval is elapsed time: a day is 24 hours across DST', () => {
    expect(
      runs(
        { preset: 'interval', every: 1, unit: 'days', startAt: '2025-03-29T09:00:00+01:00' },
        'Europe/Berlin',
        '2025-03-29T00:00:00Z',
        3,
      ),
    ).toEqual([
      '2025-03-29T08:00:00.000Z', // 09:00 CET
      '2025-03-30T08:00:00.000Z', // 10:00 CEST
      '2025-03-31T08:00:00.000Z',
    ]);
  });
});

describe('planTick', () => {
  const hourly: Schedule = {
    preset: 'interval',
    every: 1,
    unit: 'hours',
    startAt: '2025-01-01T00:00:00Z',
  };

  it('fires a tick handled on time for itself and moves to the next run', () => {
    const plan = planTick({
      schedule: hourly,
      timezone: 'UTC',
      due: at('2025-01-01T05:00:00Z'),
      now: at('2025-01-01T05:00:00.250Z'),
    });
    expect(iso([plan.tickAt, plan.nextRunAt])).toEqual([
      '2025-01-01T05:00:00.000Z',
      '2025-01-01T06:00:00.000Z',
    ]);
  });

  it('fires once for the latest missed tick, then continues after now', () => {
    const plan = planTick({
      schedule: hourly,
      timezone: 'UTC',
      due: at('2025-01-01T05:00:00Z'),
      now: at('2025-01-01T09:30:00Z'),
    });
    expect(iso([plan.tickAt, plan.nextRunAt])).toEqual([
      '2025-01-01T09:00:00.000Z',
      '2025-01-01T10:00:00.000Z',
    ]);
  });

  it('keeps the grid of the previous run for an interval without startAt', () => {
    const plan = planTick({
      schedule: { preset: 'interval', every: 10, unit: 'seconds' },
      timezone: 'UTC',
      due: at('2025-01-01T00:00:03.500Z'),
      now: at('2025-01-01T00:01:00Z'),
    });
    expect(iso([plan.tickAt, plan.nextRunAt])).toEqual([
      '2025-01-01T00:00:53.500Z',
      '2025-01-01T00:01:03.500Z',
    ]);
  });

  it('collapses missed cron and daily runs', () => {
    const cron = planTick({
      schedule: { preset: 'cron', expression: '* * * * *' },
      timezone: 'UTC',
      due: at('2025-01-01T00:00:00Z'),
      now: at('2025-01-01T00:10:00Z'),
    });
    expect(iso([cron.tickAt, cron.nextRunAt])).toEqual([
      '2025-01-01T00:10:00.000Z',
      '2025-01-01T00:11:00.000Z',
    ]);
    const daily = planTick({
      schedule: { preset: 'daily', time: '09:00' },
      timezone: 'Europe/Berlin',
      due: at('2025-01-01T08:00:00Z'),
      now: at('2025-01-04T12:00:00Z'),
    });
    expect(iso([daily.tickAt, daily.nextRunAt])).toEqual([
      '2025-01-04T08:00:00.000Z',
      '2025-01-05T08:00:00.000Z',
    ]);
  });

  it('never fires a run twice when handled before it is due', () => {
    const plan = planTick({
      schedule: hourly,
      timezone: 'UTC',
      due: at('2025-01-01T05:00:00Z'),
      now: at('2025-01-01T04:59:59.900Z'),
    });
    expect(iso([plan.tickAt, plan.nextRunAt])).toEqual([
      '2025-01-01T05:00:00.000Z',
      '2025-01-01T06:00:00.000Z',
    ]);
  });
});
