/**
 * `trigger_schedules` (tenant table: the truth of each schedule's next run, and a polling app
 * event's state) and `schedule_hints` (system table, owner role only: copies of next runs so the
 * scheduler finds the orgs with a tick due in one query). The scheduler's rules are in
 * server/triggers/scheduler/ticker.ts.
 */
import type { OwnerSql, Sql } from '../database.ts';

export interface ScheduleRecord {
  readonly triggerId: string;
  readonly nextRunAt: Date;
}

export interface ClaimedSchedule extends ScheduleRecord {
  /** The trigger's stored scheduler config (for an app event, its polling interval as one). */
  readonly config: unknown;
  readonly type: 'scheduler' | 'app_event';
  /** The database's clock when claimed, so every process plans ticks on one clock. */
  readonly now: Date;
}

export interface HintRecord extends ScheduleRecord {
  readonly orgId: string;
}

export interface HintChange {
  readonly triggerId: string;
  /** The hint's value when it was read (null: there was none). */
  readonly seen: Date | null;
  /** The schedule's value now (null: no active schedule). */
  readonly next: Date | null;
}

interface ScheduleRow {
  readonly trigger_id: string;
  readonly next_run_at: Date;
}

interface ClaimedRow extends ScheduleRow {
  readonly config: unknown;
  readonly type: 'scheduler' | 'app_event';
  readonly now: Date;
}

interface HintRow extends ScheduleRow {
  readonly org_id: string;
}

function toSchedule(row: ScheduleRow): ScheduleRecord {
  return { triggerId: row.trigger_id, nextRunAt: row.next_run_at };
}

/** Due schedules claimed per tick transaction. */
const CLAIM_BATCH = 100;

const ACTIVE_SCHEDULES = `trigger_schedules s JOIN triggers t ON t.org_id = s.org_id AND t.id = s.trigger_id
  WHERE t.status = 'active'
    AND (t.type = 'scheduler' OR (t.type = 'app_event' AND t.subscription->>'mode' = 'poll'))`;

// An app event that polls runs on an interval of its subscription's seconds.
const CONFIG = `CASE WHEN t.type = 'app_event' THEN jsonb_build_object(
    'schedule', jsonb_build_object('preset', 'interval', 'unit', 'seconds',
      'every', coalesce((t.subscription->>'intervalSeconds')::int, 300)),
    'timezone', 'UTC') ELSE t.config END`;

/** Stores a schedule's next run (in the transaction that writes the trigger). */
export async function upsertSchedule(
  db: Sql,
  { orgId, triggerId, nextRunAt }: { orgId: string; triggerId: string; nextRunAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO trigger_schedules (org_id, trigger_id, next_run_at) VALUES ($1, $2, $3)
     ON CONFLICT (org_id, trigger_id) DO UPDATE SET next_run_at = EXCLUDED.next_run_at`,
    [orgId, triggerId, nextRunAt],
  );
}

export async function removeSchedule(db: Sql, { triggerId }: { triggerId: string }): Promise<void> {
  await db.query('DELETE FROM trigger_schedules WHERE trigger_id = $1', [triggerId]);
}

/**
 * Locks the org's due schedules of active scheduler triggers (and polling app events), oldest
 * first, skipping rows another process holds: each due tick is handled by one process.
 */
export async function claimDue(db: Sql): Promise<ClaimedSchedule[]> {
  const rows = await db.query<ClaimedRow>(
    `SELECT s.trigger_id, s.next_run_at, ${CONFIG} AS config, t.type, now() AS now FROM ${ACTIVE_SCHEDULES}
    AND s.next_run_at <= now()
  ORDER BY s.next_run_at LIMIT ${CLAIM_BATCH}
  FOR UPDATE OF s SKIP LOCKED`,
  );
  return rows.map((r) => ({
    triggerId: r.trigger_id,
    nextRunAt: r.next_run_at,
    config: r.config,
    type: r.type,
    now: r.now,
  }));
}

export async function setNextRun(
  db: Sql,
  { triggerId, nextRunAt }: { triggerId: string; nextRunAt: Date },
): Promise<void> {
  await db.query('UPDATE trigger_schedules SET next_run_at = $2 WHERE trigger_id = $1', [
    triggerId,
    nextRunAt,
  ]);
}

/** The schedules of these triggers that would fire (active trigger, scheduler or polling). */
export async function listActive(
  db: Sql,
  { triggerIds }: { triggerIds: readonly string[] },
): Promise<ScheduleRecord[]> {
  const rows = await db.query<ScheduleRow>(
    `SELECT s.trigger_id, s.next_run_at FROM ${ACTIVE_SCHEDULES}
    AND s.trigger_id = ANY($1::uuid[])`,
    [triggerIds],
  );
  return rows.map(toSchedule);
}

/** Every schedule of the org that would fire. */
export async function listAllActive(db: Sql): Promise<ScheduleRecord[]> {
  const rows = await db.query<ScheduleRow>(
    `SELECT s.trigger_id, s.next_run_at FROM ${ACTIVE_SCHEDULES}`,
  );
  return rows.map(toSchedule);
}

/** Next runs by trigger id, whatever the trigger's status (what the trigger's view shows). */
export async function findNextRuns(
  db: Sql,
  { triggerIds }: { triggerIds: readonly string[] },
): Promise<Map<string, Date>> {
  if (triggerIds.length === 0) return new Map();
  const rows = await db.query<ScheduleRow>(
    'SELECT trigger_id, next_run_at FROM trigger_schedules WHERE trigger_id = ANY($1::uuid[])',
    [triggerIds],
  );
  return new Map(rows.map((r) => [r.trigger_id, r.next_run_at]));
}

/** A polling app event's state (what the last poll saw); null when never polled. */
export async function findState(
  db: Sql,
  { triggerId }: { triggerId: string },
): Promise<{ state: unknown } | null> {
  const rows = await db.query<{ readonly state: unknown }>(
    'SELECT state FROM trigger_schedules WHERE trigger_id = $1',
    [triggerId],
  );
  return rows[0] ?? null;
}

export async function setState(
  db: Sql,
  { triggerId, state }: { triggerId: string; state: unknown },
): Promise<void> {
  await db.query('UPDATE trigger_schedules SET state = $2 WHERE trigger_id = $1', [
    triggerId,
    JSON.stringify(state),
  ]);
}

/** Hints due now, oldest first. */
export async function listDueHints(
  db: OwnerSql,
  { limit }: { limit: number },
): Promise<HintRecord[]> {
  const rows = await db.query<HintRow>(
    `SELECT org_id, trigger_id, next_run_at FROM schedule_hints
            WHERE next_run_at <= now() ORDER BY next_run_at LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ orgId: r.org_id, triggerId: r.trigger_id, nextRunAt: r.next_run_at }));
}

export async function upsertHint(
  db: OwnerSql,
  { orgId, triggerId, nextRunAt }: { orgId: string; triggerId: string; nextRunAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO schedule_hints (org_id, trigger_id, next_run_at) VALUES ($1, $2, $3)
           ON CONFLICT (org_id, trigger_id) DO UPDATE SET next_run_at = EXCLUDED.next_run_at`,
    [orgId, triggerId, nextRunAt],
  );
}

export async function removeHint(
  db: OwnerSql,
  { orgId, triggerId }: { orgId: string; triggerId: string },
): Promise<void> {
  await db.query('DELETE FROM schedule_hints WHERE org_id = $1 AND trigger_id = $2', [
    orgId,
    triggerId,
  ]);
}

/**
 * Sets hints after a tick. Compare-and-set on `seen`, so a hint changed meanwhile (by a trigger
 * save or another process) is left alone. Millisecond precision, as every stored value comes
 * from a JavaScript Date.
 */
export async function setHints(
  db: OwnerSql,
  { orgId, changes }: { orgId: string; changes: readonly HintChange[] },
): Promise<void> {
  if (changes.length === 0) return;
  await db.query(
    `WITH v AS (
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
  ON CONFLICT DO NOTHING`,
    [
      orgId,
      changes.map((c) => c.triggerId),
      changes.map((c) => c.seen),
      changes.map((c) => c.next),
    ],
  );
}

/** Rescan: adds missing hints and moves existing ones only earlier (early is safe, late is not). */
export async function mergeHints(
  db: OwnerSql,
  { orgId, schedules }: { orgId: string; schedules: readonly ScheduleRecord[] },
): Promise<void> {
  await db.query(
    `INSERT INTO schedule_hints (org_id, trigger_id, next_run_at)
  SELECT $1, * FROM unnest($2::uuid[], $3::timestamptz[])
  ON CONFLICT (org_id, trigger_id)
  DO UPDATE SET next_run_at = LEAST(schedule_hints.next_run_at, EXCLUDED.next_run_at)`,
    [orgId, schedules.map((s) => s.triggerId), schedules.map((s) => s.nextRunAt)],
  );
}
