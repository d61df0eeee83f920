// Agent runs, their steps and their tool-call spans. Runs are claimed under a lease as workflow
// executions are (executions.repo.ts): every write of an attempt is fenced on the lease, so a
// worker that lost its run (it paused or died, and another took over) cannot commit anything.
// Step outputs, reports and span arguments are JSON the agent produced from documents and API
// answers: they go through stored-text, so any character survives.
import type { Sql } from '../database.ts';
import { fromStoredJson, fromStoredText, toStoredJson, toStoredText } from '../stored-text.ts';
import type {
  AgentRun,
  AgentRunSpan,
  AgentRunStatus,
  AgentRunStep,
  DecisionRecord,
} from '../../domain/agent-run.ts';
import type { Mode, Permission } from '../../domain/tenant.ts';

export interface NewAgentRun {
  orgId: string;
  kind: string;
  input: unknown;
  provider: string | null;
  model: string | null;
  interactive: boolean;
  actor: { type: string; id: string | null; label: string | null; userId: string | null };
  customerId: string | null;
  mode: Mode | null;
  permissions: readonly Permission[];
}

/** What the executor needs to run an attempt: the run, and the rights it acts with. */
export interface ClaimedAgentRun extends NewAgentRun {
  id: string;
  /** The input as given, sealed, when it held secrets (`input` is then the masked copy). */
  inputSealed: string | null;
  decisions: DecisionRecord[];
  attempts: number;
}

interface RunRow {
  id: string;
  org_id: string;
  kind: string;
  status: AgentRunStatus;
  input: unknown;
  provider: string | null;
  model: string | null;
  interactive: boolean;
  actor_type: string;
  actor_id: string | null;
  actor_label: string | null;
  actor_user_id: string | null;
  customer_id: string | null;
  mode: Mode | null;
  permissions: Permission[];
  report: unknown;
  error: string | null;
  tokens_in: string | number;
  tokens_out: string | number;
  cost_usd: number;
  pending_stage: string | null;
  pending_summary: string | null;
  decisions: DecisionRecord[];
  cancel_requested: boolean;
  attempts: number;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

const RUN_COLUMNS = `id, org_id, kind, status, input, provider, model, interactive, actor_type,
  actor_id, actor_label, actor_user_id, customer_id, mode, permissions, report, error, tokens_in,
  tokens_out, cost_usd, pending_stage, pending_summary, decisions, cancel_requested, attempts,
  created_at, updated_at, started_at, finished_at`;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const text = (t: string | null): string | null => (t === null ? null : fromStoredText(t));

/** A run row as the API shows it; `input` as stored (the service masks it). */
function toRun(r: RunRow): AgentRun {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    input: fromStoredJson(r.input),
    provider: r.provider,
    model: r.model,
    interactive: r.interactive,
    createdBy: { type: r.actor_type, id: r.actor_id, userId: r.actor_user_id },
    report: r.report === null ? null : fromStoredJson(r.report),
    error: text(r.error),
    usage: {
      tokensIn: Number(r.tokens_in),
      tokensOut: Number(r.tokens_out),
      costUsd: r.cost_usd,
    },
    pending:
      r.pending_stage === null
        ? null
        : { stage: fromStoredText(r.pending_stage), summary: text(r.pending_summary) ?? '' },
    decisions: fromStoredJson(r.decisions),
    cancelRequested: r.cancel_requested,
    attempts: r.attempts,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
    startedAt: iso(r.started_at),
    finishedAt: iso(r.finished_at),
  };
}

/** Keeps a run's input as given, sealed (see modules/agent-runs/sealed-input.ts). */
export async function setInputSealed(
  sql: Sql,
  { id, sealed }: { id: string; sealed: string },
): Promise<void> {
  await sql.query('UPDATE agent_runs SET input_sealed = $2 WHERE id = $1', [id, sealed]);
}

/** Every sealed run input of the org, locked for re-wrapping under a new master key. */
export async function lockAllSealedInputs(
  sql: Sql,
): Promise<{ id: string; inputSealed: string }[]> {
  const rows = await sql.query<{ id: string; input_sealed: string }>(
    'SELECT id, input_sealed FROM agent_runs WHERE input_sealed IS NOT NULL FOR UPDATE',
  );
  return rows.map((r) => ({ id: r.id, inputSealed: r.input_sealed }));
}

export async function insert(sql: Sql, run: NewAgentRun): Promise<AgentRun> {
  const rows = await sql.query<RunRow>(
    `INSERT INTO agent_runs (org_id, kind, input, provider, model, interactive, actor_type,
        actor_id, actor_label, actor_user_id, customer_id, mode, permissions)
     VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::text[])
     RETURNING ${RUN_COLUMNS}`,
    [
      run.orgId,
      run.kind,
      toStoredJson(run.input) ?? '{}',
      run.provider,
      run.model,
      run.interactive,
      run.actor.type,
      run.actor.id,
      run.actor.label === null ? null : toStoredText(run.actor.label),
      run.actor.userId,
      run.customerId,
      run.mode,
      [...run.permissions],
    ],
  );
  return toRun(rows[0]!);
}

export async function findById(sql: Sql, { id }: { id: string }): Promise<AgentRun | null> {
  const rows = await sql.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM agent_runs WHERE id = $1`, [id]);
  return rows[0] ? toRun(rows[0]) : null;
}

export async function list(
  sql: Sql,
  {
    limit,
    after,
    status,
    kind,
  }: {
    limit: number;
    after: { createdAt: string; id: string } | null;
    status: AgentRunStatus | null;
    kind: string | null;
  },
): Promise<AgentRun[]> {
  const rows = await sql.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM agent_runs
      WHERE ($1::text IS NULL OR status = $1)
        AND ($2::text IS NULL OR kind = $2)
        AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $5`,
    [status, kind, after?.createdAt ?? null, after?.id ?? null, limit],
  );
  return rows.map(toRun);
}

interface StepRow {
  name: string;
  status: AgentRunStep['status'];
  output: unknown;
  summary: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

export async function listSteps(sql: Sql, { runId }: { runId: string }): Promise<AgentRunStep[]> {
  const rows = await sql.query<StepRow>(
    `SELECT name, status, output, summary, error, started_at, finished_at
       FROM agent_run_steps WHERE run_id = $1 ORDER BY started_at, name`,
    [runId],
  );
  return rows.map((r) => ({
    name: fromStoredText(r.name),
    status: r.status,
    output: r.output === null ? null : fromStoredJson(r.output),
    summary: text(r.summary),
    error: text(r.error),
    startedAt: r.started_at.toISOString(),
    finishedAt: iso(r.finished_at),
  }));
}

interface SpanRow {
  step: string;
  tool: string;
  arguments: unknown;
  ok: boolean;
  status: AgentRunSpan['status'];
  summary: string;
  duration_ms: number;
  tokens_in: number | null;
  tokens_out: number | null;
  created_at: Date;
}

export async function listSpans(
  sql: Sql,
  { runId, limit }: { runId: string; limit: number },
): Promise<AgentRunSpan[]> {
  const rows = await sql.query<SpanRow>(
    `SELECT step, tool, arguments, ok, status, summary, duration_ms, tokens_in, tokens_out, created_at
       FROM agent_run_spans WHERE run_id = $1 ORDER BY created_at, id LIMIT $2`,
    [runId, limit],
  );
  return rows.map((r) => ({
    step: fromStoredText(r.step),
    tool: fromStoredText(r.tool),
    arguments: r.arguments === null ? null : fromStoredJson(r.arguments),
    ok: r.ok,
    status: r.status,
    summary: fromStoredText(r.summary),
    durationMs: r.duration_ms,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    at: r.created_at.toISOString(),
  }));
}

// ---------------------------------------------------------------------------------------------
// The executor's side: claim, lease, fenced writes, settle.

/**
 * Takes the lease of a queued run, or of a running one whose lease ran out (its worker died).
 * Null when the run is waiting, finished, or held by a live lease elsewhere.
 */
export async function claim(
  sql: Sql,
  { id, leaseOwner, leaseMs }: { id: string; leaseOwner: string; leaseMs: number },
): Promise<ClaimedAgentRun | null> {
  const rows = await sql.query<RunRow & { input_sealed: string | null }>(
    `UPDATE agent_runs SET
        status = 'running',
        attempts = attempts + 1,
        lease_owner = $2,
        lease_expires_at = now() + make_interval(secs => $3::double precision / 1000),
        started_at = coalesce(started_at, now()),
        updated_at = clock_timestamp()
      WHERE id = $1
        AND (status = 'queued' OR (status = 'running' AND lease_expires_at < now()))
      RETURNING ${RUN_COLUMNS}, input_sealed`,
    [id, leaseOwner, leaseMs],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id,
    orgId: r.org_id,
    kind: r.kind,
    input: fromStoredJson(r.input),
    inputSealed: r.input_sealed,
    provider: r.provider,
    model: r.model,
    interactive: r.interactive,
    actor: {
      type: r.actor_type,
      id: r.actor_id,
      label: text(r.actor_label),
      userId: r.actor_user_id,
    },
    customerId: r.customer_id,
    mode: r.mode,
    permissions: r.permissions,
    decisions: fromStoredJson(r.decisions),
    attempts: r.attempts,
  };
}

/**
 * Locks the run if `leaseOwner` still holds a live lease on it; false otherwise. Every write of
 * an attempt runs after this in the same transaction.
 */
export async function holdsLease(
  sql: Sql,
  { id, leaseOwner }: { id: string; leaseOwner: string },
): Promise<boolean> {
  const rows = await sql.query(
    `SELECT 1 FROM agent_runs
      WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND lease_expires_at > now()
      FOR UPDATE`,
    [id, leaseOwner],
  );
  return rows.length > 0;
}

/** Renews a live lease; tells whether it is still held and whether cancel was asked for. */
export async function extendLease(
  sql: Sql,
  { id, leaseOwner, leaseMs }: { id: string; leaseOwner: string; leaseMs: number },
): Promise<{ held: boolean; cancelRequested: boolean }> {
  const rows = await sql.query<{ cancel_requested: boolean }>(
    `UPDATE agent_runs SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000)
      WHERE id = $1 AND lease_owner = $2 AND status = 'running' AND lease_expires_at > now()
      RETURNING cancel_requested`,
    [id, leaseOwner, leaseMs],
  );
  return { held: rows.length > 0, cancelRequested: rows[0]?.cancel_requested ?? false };
}

/** Whether someone asked to cancel the run. */
export async function cancelRequested(sql: Sql, { id }: { id: string }): Promise<boolean> {
  const rows = await sql.query<{ cancel_requested: boolean }>(
    'SELECT cancel_requested FROM agent_runs WHERE id = $1',
    [id],
  );
  return rows[0]?.cancel_requested ?? false;
}

/**
 * Ends an attempt: a final status, `waiting` at a handback (with the pending stage), or back to
 * `queued` when the worker stopped. Fenced on the lease.
 */
export async function settle(
  sql: Sql,
  {
    id,
    leaseOwner,
    status,
    report = null,
    error = null,
    pending = null,
  }: {
    id: string;
    leaseOwner: string;
    status: AgentRunStatus;
    report?: unknown;
    error?: string | null;
    pending?: { stage: string; summary: string } | null;
  },
): Promise<boolean> {
  const final = status !== 'queued' && status !== 'waiting';
  const rows = await sql.query(
    `UPDATE agent_runs SET
        status = $3, report = coalesce($4::jsonb, report), error = $5,
        pending_stage = $6, pending_summary = $7,
        lease_owner = NULL, lease_expires_at = NULL,
        finished_at = CASE WHEN $8::boolean THEN now() ELSE NULL END,
        updated_at = clock_timestamp()
      WHERE id = $1 AND lease_owner = $2 AND status = 'running'
      RETURNING id`,
    [
      id,
      leaseOwner,
      status,
      toStoredJson(report),
      error === null ? null : toStoredText(error),
      pending === null ? null : toStoredText(pending.stage),
      pending === null ? null : toStoredText(pending.summary),
      final,
    ],
  );
  return rows.length > 0;
}

/** Marks an unsettled run failed (its job's retries are used up). */
export async function failUnsettled(
  sql: Sql,
  { id, error }: { id: string; error: string },
): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE agent_runs SET status = 'failed', error = coalesce(error, $2), finished_at = now(),
        lease_owner = NULL, lease_expires_at = NULL, updated_at = clock_timestamp()
      WHERE id = $1 AND status IN ('queued', 'running') RETURNING id`,
    [id, toStoredText(error)],
  );
  return rows.length > 0;
}

export async function findStep(
  sql: Sql,
  { runId, name }: { runId: string; name: string },
): Promise<{ status: AgentRunStep['status']; output: unknown } | null> {
  const rows = await sql.query<{ status: AgentRunStep['status']; output: unknown }>(
    'SELECT status, output FROM agent_run_steps WHERE run_id = $1 AND name = $2',
    [runId, toStoredText(name)],
  );
  const r = rows[0];
  if (!r) return null;
  return { status: r.status, output: r.output === null ? null : fromStoredJson(r.output) };
}

/** Starts (or restarts, after a crash) a step; a finished step is left as it is. */
export async function startStep(
  sql: Sql,
  { orgId, runId, name }: { orgId: string; runId: string; name: string },
): Promise<void> {
  await sql.query(
    `INSERT INTO agent_run_steps (org_id, run_id, name, status) VALUES ($1, $2, $3, 'running')
     ON CONFLICT (org_id, run_id, name) DO UPDATE SET
       status = 'running', error = NULL, started_at = clock_timestamp(), finished_at = NULL
     WHERE agent_run_steps.status <> 'finished'`,
    [orgId, runId, toStoredText(name)],
  );
}

/** Ends a step: finished with its output, or failed with an error. */
export async function endStep(
  sql: Sql,
  {
    orgId,
    runId,
    name,
    status,
    output = null,
    summary = null,
    error = null,
  }: {
    orgId: string;
    runId: string;
    name: string;
    status: 'finished' | 'failed';
    output?: unknown;
    summary?: string | null;
    error?: string | null;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO agent_run_steps (org_id, run_id, name, status, output, summary, error, finished_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, clock_timestamp())
     ON CONFLICT (org_id, run_id, name) DO UPDATE SET
       status = EXCLUDED.status, output = EXCLUDED.output, summary = EXCLUDED.summary,
       error = EXCLUDED.error, finished_at = EXCLUDED.finished_at`,
    [
      orgId,
      runId,
      toStoredText(name),
      status,
      toStoredJson(output),
      summary === null ? null : toStoredText(summary),
      error === null ? null : toStoredText(error),
    ],
  );
}

export async function insertSpan(
  sql: Sql,
  {
    orgId,
    runId,
    span,
  }: {
    orgId: string;
    runId: string;
    span: Omit<AgentRunSpan, 'at'>;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO agent_run_spans (org_id, run_id, step, tool, arguments, ok, status, summary,
        duration_ms, tokens_in, tokens_out)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11)`,
    [
      orgId,
      runId,
      toStoredText(span.step),
      toStoredText(span.tool),
      toStoredJson(span.arguments),
      span.ok,
      span.status,
      toStoredText(span.summary),
      span.durationMs,
      span.tokensIn,
      span.tokensOut,
    ],
  );
}

export async function addUsage(
  sql: Sql,
  {
    id,
    tokensIn,
    tokensOut,
    costUsd,
  }: { id: string; tokensIn: number; tokensOut: number; costUsd: number },
): Promise<void> {
  await sql.query(
    `UPDATE agent_runs SET tokens_in = tokens_in + $2, tokens_out = tokens_out + $3,
        cost_usd = cost_usd + $4, updated_at = clock_timestamp()
      WHERE id = $1`,
    [id, tokensIn, tokensOut, costUsd],
  );
}

/** Stores the summary of the handback the run is about to pause at. */
export async function setPending(
  sql: Sql,
  { id, stage, summary }: { id: string; stage: string; summary: string },
): Promise<void> {
  await sql.query(
    `UPDATE agent_runs SET pending_stage = $2, pending_summary = $3, updated_at = clock_timestamp()
      WHERE id = $1`,
    [id, toStoredText(stage), toStoredText(summary)],
  );
}

// ---------------------------------------------------------------------------------------------
// People's side: decisions and cancellation.

/**
 * Records the decision at the pending handback of a waiting run and queues it again. Null when
 * the run is not waiting (the caller tells why).
 */
export async function decide(
  sql: Sql,
  { id, decision }: { id: string; decision: Omit<DecisionRecord, 'stage' | 'at'> },
): Promise<AgentRun | null> {
  const rows = await sql.query<RunRow>(
    `UPDATE agent_runs SET
        decisions = decisions || jsonb_build_array(
          jsonb_strip_nulls(jsonb_build_object('stage', pending_stage, 'decision', $2::text,
            'note', $3::text, 'at', to_char(clock_timestamp() AT TIME ZONE 'UTC',
            'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))),
        status = 'queued', pending_stage = NULL, pending_summary = NULL,
        updated_at = clock_timestamp()
      WHERE id = $1 AND status = 'waiting' AND pending_stage IS NOT NULL
      RETURNING ${RUN_COLUMNS}`,
    [id, decision.decision, decision.note === undefined ? null : toStoredText(decision.note)],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/**
 * Asks to cancel a run: a queued or waiting one is cancelled at once; a running one is flagged
 * and its worker stops it at the next step. Null when the run is already final.
 */
export async function requestCancel(sql: Sql, { id }: { id: string }): Promise<AgentRun | null> {
  const rows = await sql.query<RunRow>(
    `UPDATE agent_runs SET
        cancel_requested = true,
        status = CASE WHEN status IN ('queued', 'waiting') THEN 'cancelled' ELSE status END,
        pending_stage = CASE WHEN status = 'waiting' THEN NULL ELSE pending_stage END,
        pending_summary = CASE WHEN status = 'waiting' THEN NULL ELSE pending_summary END,
        finished_at = CASE WHEN status IN ('queued', 'waiting') THEN now() ELSE finished_at END,
        updated_at = clock_timestamp()
      WHERE id = $1 AND status IN ('queued', 'running', 'waiting')
      RETURNING ${RUN_COLUMNS}`,
    [id],
  );
  return rows[0] ? toRun(rows[0]) : null;
}

/**
 * Runs the sweeper queues again: running ones whose lease lapsed `lapsedMs` ago (their worker
 * died) and queued ones untouched for `queuedMs` (their job was lost). Each is touched, so the
 * next sweep leaves it alone for another `queuedMs` while its new job is on its way.
 */
export async function takeStale(
  sql: Sql,
  { lapsedMs, queuedMs, limit }: { lapsedMs: number; queuedMs: number; limit: number },
): Promise<string[]> {
  const rows = await sql.query<{ id: string }>(
    `UPDATE agent_runs SET updated_at = clock_timestamp()
      WHERE (org_id, id) IN (
        SELECT org_id, id FROM agent_runs
         WHERE (status = 'running'
                AND lease_expires_at < now() - make_interval(secs => $1::double precision / 1000))
            OR (status = 'queued'
                AND updated_at < now() - make_interval(secs => $2::double precision / 1000))
         ORDER BY updated_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
      RETURNING id`,
    [lapsedMs, queuedMs, limit],
  );
  return rows.map((r) => r.id);
}
