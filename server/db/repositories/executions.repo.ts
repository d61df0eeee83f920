import type { Sql } from '../database.ts';
import { fromStoredJson, fromStoredText, toStoredJson, toStoredText } from '../stored-text.ts';
import type {
  Environment,
  Execution,
  RetryPolicy,
  ExecutionDetail,
  ExecutionSpan,
  ExecutionStatus,
  Tier,
  TriggerKind,
} from '../../domain/workflow.ts';

export type ExecutionError = { kind: string; message: string; stack?: string };
export type ExecutionLog = ExecutionDetail['logs'][number];

export interface NewExecution {
  id: string;
  orgId: string;
  workflowId: string;
  versionId: string;
  version: number;
  environment: Environment;
  tier: Tier;
  status: ExecutionStatus;
  triggeredBy: TriggerKind;
  trigger: Record<string, unknown>;
  customerId: string | null;
  attempt: number;
  maxAttempts: number;
  input: unknown;
  headers: Record<string, string>;
  output: unknown;
  error: ExecutionError | null;
  logs: readonly ExecutionLog[];
  spans: readonly ExecutionSpan[];
  rerunOf: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
}

const INSERT_COLUMNS = [
  'id',
  'org_id',
  'workflow_id',
  'version_id',
  'version',
  'environment',
  'tier',
  'status',
  'triggered_by',
  'trigger',
  'customer_id',
  'attempt',
  'max_attempts',
  'input',
  'headers',
  'output',
  'error',
  'logs',
  'spans',
  'rerun_of',
  'created_at',
  'started_at',
  'finished_at',
  'duration_ms',
] as const;

// Workflow data (input, output, errors, logs, steps) is stored whatever characters it holds.
const json = toStoredJson;
const jsonOrEmpty = (value: unknown): string => toStoredJson(value) ?? 'null';

/** Inserts many executions in one statement (the batched execution log writer). */
export async function insertMany(db: Sql, executions: readonly NewExecution[]): Promise<void> {
  if (executions.length === 0) return;
  const values: unknown[] = [];
  const width = INSERT_COLUMNS.length;
  const tuples = executions.map((e, i) => {
    values.push(
      e.id,
      e.orgId,
      e.workflowId,
      e.versionId,
      e.version,
      e.environment,
      e.tier,
      e.status,
      e.triggeredBy,
      jsonOrEmpty(e.trigger),
      e.customerId,
      e.attempt,
      e.maxAttempts,
      json(e.input),
      jsonOrEmpty(e.headers),
      json(e.output),
      json(e.error),
      jsonOrEmpty(e.logs),
      jsonOrEmpty(e.spans),
      e.rerunOf,
      e.createdAt,
      e.startedAt,
      e.finishedAt,
      e.durationMs,
    );
    return `(${Array.from({ length: width }, (_, j) => `$${i * width + j + 1}`).join(', ')})`;
  });
  await db.query(
    `INSERT INTO executions (${INSERT_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`,
    values,
  );
}

interface ExecutionRow {
  readonly id: string;
  readonly workflow_id: string;
  readonly slug: string | null;
  readonly version_id: string;
  readonly version: number;
  readonly environment: Environment;
  readonly tier: Tier;
  readonly status: ExecutionStatus;
  readonly triggered_by: TriggerKind;
  readonly trigger: Record<string, unknown>;
  readonly customer_id: string | null;
  readonly attempt: number;
  readonly max_attempts: number;
  readonly input: unknown;
  readonly output: unknown;
  readonly error: ExecutionError | null;
  readonly rerun_of: string | null;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
  readonly duration_ms: number | null;
}

interface DetailRow extends ExecutionRow {
  readonly headers: Record<string, string>;
  readonly logs: ExecutionLog[];
  readonly spans: ExecutionSpan[];
}

const COLUMNS = `e.id, e.workflow_id, w.slug, e.version_id, e.version, e.environment, e.tier, e.status,
  e.triggered_by, e.trigger, e.customer_id, e.attempt, e.max_attempts, e.input, e.output, e.error,
  e.rerun_of, e.created_at, e.started_at, e.finished_at, e.duration_ms`;
const FROM = 'executions e LEFT JOIN workflows w ON w.org_id = e.org_id AND w.id = e.workflow_id';

function toExecution(row: ExecutionRow): Execution {
  return {
    id: row.id,
    workflowId: row.workflow_id,
    ...(row.slug === null ? {} : { workflowSlug: row.slug }),
    version: row.version,
    environment: row.environment,
    tier: row.tier,
    status: row.status,
    triggeredBy: row.triggered_by,
    trigger: fromStoredJson(row.trigger),
    customerId: row.customer_id,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    input: fromStoredJson(row.input),
    output: fromStoredJson(row.output),
    error: fromStoredJson(row.error),
    rerunOf: row.rerun_of,
    createdAt: row.created_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    durationMs: row.duration_ms,
  };
}

export interface ExecutionFilters {
  status?: ExecutionStatus | undefined;
  workflowId?: string | undefined;
  tier?: Tier | undefined;
  customerId?: string | undefined;
  environment?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export async function list(
  db: Sql,
  {
    filters,
    limit,
    after,
  }: {
    filters: ExecutionFilters;
    limit: number;
    after: { createdAt: string; id: string } | null;
  },
): Promise<Execution[]> {
  const rows = await db.query<ExecutionRow>(
    `SELECT ${COLUMNS} FROM ${FROM}
      WHERE ($1::text IS NULL OR e.status = $1)
        AND ($2::uuid IS NULL OR e.workflow_id = $2)
        AND ($3::text IS NULL OR e.tier = $3)
        AND ($4::uuid IS NULL OR e.customer_id = $4)
        AND ($5::timestamptz IS NULL OR e.created_at >= $5)
        AND ($6::timestamptz IS NULL OR e.created_at < $6)
        AND ($7::timestamptz IS NULL OR (e.created_at, e.id) < ($7::timestamptz, $8::uuid))
        AND ($10::text IS NULL OR e.environment = $10)
      ORDER BY e.created_at DESC, e.id DESC
      LIMIT $9`,
    [
      filters.status ?? null,
      filters.workflowId ?? null,
      filters.tier ?? null,
      filters.customerId ?? null,
      filters.from ?? null,
      filters.to ?? null,
      after?.createdAt ?? null,
      after?.id ?? null,
      limit,
      filters.environment ?? null,
    ],
  );
  return rows.map(toExecution);
}

export async function get(db: Sql, { id }: { id: string }): Promise<ExecutionDetail | null> {
  const rows = await db.query<DetailRow>(
    `SELECT ${COLUMNS}, e.headers, e.logs, e.spans FROM ${FROM} WHERE e.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  const steps = await db.query<{ name: string; attempt: number; created_at: Date }>(
    'SELECT name, attempt, created_at FROM execution_steps WHERE execution_id = $1 ORDER BY created_at, name',
    [id],
  );
  return {
    ...toExecution(row),
    headers: fromStoredJson(row.headers),
    logs: fromStoredJson(row.logs),
    spans: fromStoredJson(row.spans),
    steps: steps.map((s) => ({
      name: fromStoredText(s.name),
      attempt: s.attempt,
      createdAt: s.created_at.toISOString(),
    })),
  };
}

/** What a worker needs to run an attempt of an execution it claimed. */
export interface Claimed {
  id: string;
  workflowId: string;
  versionId: string;
  environment: Environment;
  tier: Tier;
  triggeredBy: TriggerKind;
  trigger: Record<string, unknown>;
  customerId: string | null;
  attempt: number;
  maxAttempts: number;
  input: unknown;
  headers: Record<string, string>;
  createdAt: Date;
}

interface ClaimRow {
  readonly id: string;
  readonly workflow_id: string;
  readonly version_id: string;
  readonly environment: Environment;
  readonly tier: Tier;
  readonly triggered_by: TriggerKind;
  readonly trigger: Record<string, unknown>;
  readonly customer_id: string | null;
  readonly attempt: number;
  readonly max_attempts: number;
  readonly input: unknown;
  readonly headers: Record<string, string>;
  readonly created_at: Date;
}

/**
 * Takes the lease of a queued execution, or of a running one whose lease ran out (its worker
 * died). Returns null when the execution is finished or another worker holds a live lease.
 */
export async function claim(
  db: Sql,
  { id, leaseOwner, leaseMs }: { id: string; leaseOwner: string; leaseMs: number },
): Promise<Claimed | null> {
  const rows = await db.query<ClaimRow>(
    `UPDATE executions SET
        status = 'running',
        attempt = attempt + 1,
        lease_owner = $2,
        lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
        started_at = coalesce(started_at, now())
      WHERE id = $1
        AND (status = 'queued' OR (status = 'running' AND lease_expires_at < now()))
      RETURNING id, workflow_id, version_id, environment, tier, triggered_by, trigger, customer_id,
                attempt, max_attempts, input, headers, created_at`,
    [id, leaseOwner, leaseMs],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    workflowId: row.workflow_id,
    versionId: row.version_id,
    environment: row.environment,
    tier: row.tier,
    triggeredBy: row.triggered_by,
    trigger: fromStoredJson(row.trigger),
    customerId: row.customer_id,
    attempt: row.attempt,
    maxAttempts: row.max_attempts,
    input: fromStoredJson(row.input),
    headers: fromStoredJson(row.headers),
    createdAt: row.created_at,
  };
}

/**
 * Locks the execution row if `leaseOwner` still holds a live lease on it; false otherwise. Every
 * write of an attempt runs after this in the same transaction, so an attempt whose lease ran out
 * (a paused worker waking up late) cannot commit anything.
 */
export async function holdsLease(
  db: Sql,
  { id, leaseOwner }: { id: string; leaseOwner: string },
): Promise<boolean> {
  const rows = await db.query(
    `SELECT 1 FROM executions
      WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND lease_expires_at > now()
      FOR UPDATE`,
    [id, leaseOwner],
  );
  return rows.length > 0;
}

/** Renews a live lease; false when it was lost (expired and taken, or the attempt settled). */
export async function extendLease(
  db: Sql,
  { id, leaseOwner, leaseMs }: { id: string; leaseOwner: string; leaseMs: number },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE executions SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
      WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND lease_expires_at > now()
      RETURNING id`,
    [id, leaseOwner, leaseMs],
  );
  return rows.length > 0;
}

/** Ends an attempt: a final status, or back to 'queued' for a retry. Fenced on the lease. */
export async function settle(
  db: Sql,
  {
    id,
    leaseOwner,
    status,
    output,
    error,
    logs,
    spans,
    durationMs,
    retryInMs = 0,
  }: {
    id: string;
    leaseOwner: string;
    status: ExecutionStatus;
    /** For a retry ('queued'): when the next attempt is due, so the sweeper can tell it is late. */
    retryInMs?: number;
    output: unknown;
    error: ExecutionError | null;
    logs: readonly ExecutionLog[];
    spans: readonly ExecutionSpan[];
    durationMs: number;
  },
): Promise<boolean> {
  const final = status !== 'queued';
  const rows = await db.query(
    `UPDATE executions SET
        status = $3, output = $4::jsonb, error = $5::jsonb,
        logs = logs || $6::jsonb, spans = spans || $7::jsonb,
        duration_ms = coalesce(duration_ms, 0) + $8,
        finished_at = CASE WHEN $9::boolean THEN now() ELSE NULL END,
        lease_owner = NULL,
        lease_expires_at = CASE WHEN $9::boolean THEN NULL
          ELSE now() + make_interval(secs => $10::double precision / 1000) END
      WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND lease_expires_at > now()
      RETURNING id`,
    [
      id,
      leaseOwner,
      status,
      json(output),
      json(error),
      jsonOrEmpty(logs),
      jsonOrEmpty(spans),
      durationMs,
      final,
      retryInMs,
    ],
  );
  return rows.length > 0;
}

/** Marks an unfinished execution failed (its retries are used up or its job was lost). */
export async function failUnfinished(
  db: Sql,
  { id, error }: { id: string; error: ExecutionError },
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE executions SET status = 'failed', error = coalesce(error, $2::jsonb), finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
    [id, jsonOrEmpty(error)],
  );
  return rows.length > 0;
}

/** The trigger an execution was started by (`{}` when the execution is gone). */
export async function findTrigger(
  db: Sql,
  { id }: { id: string },
): Promise<Record<string, unknown>> {
  const rows = await db.query<{ trigger: Record<string, unknown> }>(
    'SELECT trigger FROM executions WHERE id = $1',
    [id],
  );
  return rows[0] ? fromStoredJson(rows[0].trigger) : {};
}

/** An execution's status; null when there is no such execution. */
export async function findStatus(db: Sql, { id }: { id: string }): Promise<ExecutionStatus | null> {
  const rows = await db.query<{ readonly status: ExecutionStatus }>(
    'SELECT status FROM executions WHERE id = $1',
    [id],
  );
  return rows[0]?.status ?? null;
}

export async function getStep(
  db: Sql,
  { executionId, name }: { executionId: string; name: string },
): Promise<{ value: unknown } | null> {
  const rows = await db.query<{ value: unknown }>(
    'SELECT value FROM execution_steps WHERE execution_id = $1 AND name = $2',
    [executionId, toStoredText(name)],
  );
  const row = rows[0];
  return row ? { value: fromStoredJson(row.value) } : null;
}

export async function putStep(
  db: Sql,
  {
    orgId,
    executionId,
    name,
    value,
    attempt,
  }: { orgId: string; executionId: string; name: string; value: unknown; attempt: number },
): Promise<void> {
  await db.query(
    `INSERT INTO execution_steps (org_id, execution_id, name, value, attempt)
     VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT (org_id, execution_id, name) DO NOTHING`,
    [orgId, executionId, toStoredText(name), json(value), attempt],
  );
}

/** An execution the sweeper queues again, with what its job needs. */
export interface StaleExecution {
  id: string;
  status: ExecutionStatus;
  tier: Tier;
  timeoutMs: number;
  retry: RetryPolicy;
}

interface StaleRow {
  readonly id: string;
  readonly status: ExecutionStatus;
  readonly tier: Tier;
  readonly timeout_ms: number;
  readonly retry: RetryPolicy;
}

const toStale = (r: StaleRow): StaleExecution => ({
  id: r.id,
  status: r.status,
  tier: r.tier,
  timeoutMs: r.timeout_ms,
  retry: r.retry,
});

/**
 * Executions whose attempt stopped renewing its lease (its worker died) for `lapsedMs`, and
 * queued ones still waiting `queuedMs` after they were due (their job was never sent), for the
 * sweeper to queue again.
 */
export async function listStale(
  db: Sql,
  { queuedMs, lapsedMs, limit }: { queuedMs: number; lapsedMs: number; limit: number },
): Promise<StaleExecution[]> {
  const rows = await db.query<StaleRow>(
    `SELECT e.id, e.status, e.tier, v.timeout_ms, v.retry
       FROM executions e JOIN workflow_versions v ON v.org_id = e.org_id AND v.id = e.version_id
      WHERE (e.status = 'queued'
             AND coalesce(e.lease_expires_at, e.created_at) < now() - make_interval(secs => $1::double precision / 1000))
         OR (e.status = 'running' AND e.lease_expires_at < now() - make_interval(secs => $2::double precision / 1000))
      LIMIT $3`,
    [queuedMs, lapsedMs, limit],
  );
  return rows.map(toStale);
}

/**
 * Queued executions never attempted, accepted over `olderThanMs` ago, oldest first: their job
 * may never have been queued (the database went away between the two writes).
 */
export async function listUnstarted(
  db: Sql,
  { olderThanMs, limit }: { olderThanMs: number; limit: number },
): Promise<StaleExecution[]> {
  const rows = await db.query<StaleRow>(
    `SELECT e.id, e.status, e.tier, v.timeout_ms, v.retry
       FROM executions e JOIN workflow_versions v ON v.org_id = e.org_id AND v.id = e.version_id
      WHERE e.status = 'queued' AND e.attempt = 0
        AND e.created_at < now() - make_interval(secs => $1::double precision / 1000)
      ORDER BY e.created_at LIMIT $2`,
    [olderThanMs, limit],
  );
  return rows.map(toStale);
}
